using System.Runtime.CompilerServices;
using Xunit;

namespace Co.Tests
{
    /// <summary>
    /// Coroutine.BlockingSites() names the first frame outside Co's and .NET's assemblies: the client library's method
    /// the user called, whatever its namespace — a third-party library may live in a System.* namespace (as
    /// System.Data.SQLite does) or a Co.* one, and is still not .NET's or Co's. The stand-in clients below are test-local
    /// classes in those namespaces; each blocks its scheduler in the kernel past the monitor's threshold (no hooks in
    /// this process) and rejoins inside its own frame.
    /// </summary>
    public class BlockingSiteAttributionTests
    {
        [Fact]
        public Task AClientInASystemNamespace_IsTheReportedSite() =>
            AssertSiteIs(System.Data.StandInClient.BlockingClient.Query, "System.Data.StandInClient.BlockingClient.Query()");

        [Fact]
        public Task AClientInACoNamespace_IsTheReportedSite() =>
            AssertSiteIs(Co.StandInClient.BlockingClient.Fetch, "Co.StandInClient.BlockingClient.Fetch()");

        private static async Task AssertSiteIs(Action clientCall, string expected)
        {
            // The in-process runtime runs with the default options: the monitor is on (20 ms), the hooks are off.
            int before = CountAt(expected);
            await CoRun.Sync(clientCall, Coroutine.Schedulers[0]);
            IReadOnlyList<BlockingSite> sites = Coroutine.BlockingSites();
            Assert.True(CountAt(expected) > before, $"no rescue counted at {expected}; sites: {string.Join("; ", sites)}");
        }

        private static int CountAt(string site) =>
            Coroutine.BlockingSites().Where(s => s.CallSite == site).Sum(s => s.Count);
    }
}

namespace System.Data.StandInClient
{
    /// <summary>A stand-in for a third-party client library whose namespace starts with System.</summary>
    internal static class BlockingClient
    {
        /// <summary>Blocks its thread in the kernel (a futex) for 200 ms, then suspends inside its own frame.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static void Query()
        {
            Thread.Sleep(200);
            Co.Coroutine.Yield();
        }
    }
}

namespace Co.StandInClient
{
    /// <summary>A stand-in for a user's client library whose namespace starts with Co.</summary>
    internal static class BlockingClient
    {
        /// <summary>Blocks its thread in the kernel (a futex) for 200 ms, then suspends inside its own frame.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static void Fetch()
        {
            Thread.Sleep(200);
            Coroutine.Yield();
        }
    }
}
