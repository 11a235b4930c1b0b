using System.Runtime.CompilerServices;
using Xunit;

namespace Co.Tests
{
    /// <summary>
    /// Blocking waits shorter than the blocked-scheduler monitor's threshold (20 ms by default) are never rescued, yet
    /// each holds the scheduler: the monitor samples them — a step it sees asleep in the kernel is counted once, at the
    /// first frame outside Co and .NET where the coroutine next suspends — in Coroutine.BlockingSites()
    /// (<see cref="BlockingSite.ShortSamples"/>), the co.blocking.short counter and the dump.
    /// </summary>
    public class ShortBlockingTests
    {
        [Fact]
        public async Task ShortKernelWaits_AreSampled_AtTheClientsMethod_InTheSitesTheMeterAndTheDump()
        {
            // The in-process runtime runs with the default options: the monitor is on (20 ms), the hooks are off.
            const string Site = "Co.ShortWaitClient.PingClient.Ping()";
            int samplesBefore = ShortSamplesAt(Site);
            long meterBefore = DiagnosticsTests.ReadCounter("co.blocking.short", "futex");
            await CoRun.Sync(
                () =>
                {
                    for (int i = 0; i < 100; i++)
                    {
                        ShortWaitClient.PingClient.Ping();
                    }
                },
                Coroutine.Schedulers[0]);

            BlockingSite? site = Coroutine.BlockingSites().FirstOrDefault(s => s.CallSite == Site);
            string all = string.Join("; ", Coroutine.BlockingSites());

            // 100 waits of 5 ms looked at every 10 ms: about half are seen; a few are enough to prove it.
            Assert.True(site is not null && site.ShortSamples - samplesBefore >= 5, $"short samples at {Site}: {site?.ShortSamples}; sites: {all}");
            Assert.Equal("futex", site!.BlockedIn); // .NET's Thread.Sleep is a futex wait
            Assert.Equal(0, site.Count); // none reached the threshold: nothing rescued
            Assert.True(DiagnosticsTests.ReadCounter("co.blocking.short", "futex") - meterBefore >= 5, "co.blocking.short{call=futex} did not grow");
            var dump = new StringWriter();
            Coroutine.DumpTo(dump);
            Assert.Contains("short blocking:", dump.ToString());
        }

        private static int ShortSamplesAt(string site) =>
            Coroutine.BlockingSites().Where(s => s.CallSite == site).Sum(s => s.ShortSamples);
    }
}

namespace Co.ShortWaitClient
{
    /// <summary>A stand-in for a client library that waits a few milliseconds in the kernel per call (as an SSH
    /// client's channel set-up does), then suspends inside its own frame.</summary>
    internal static class PingClient
    {
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static void Ping()
        {
            Thread.Sleep(5);
            Coroutine.Yield();
        }
    }
}
