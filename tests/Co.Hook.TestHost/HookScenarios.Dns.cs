using System.Runtime.InteropServices;
using Co;
using Co.Hook;
using Co.Testing;

/// <summary>Scenarios of the hook layer: name resolution.</summary>
internal static partial class HookScenarios
{
    /// <summary>A name from /etc/hosts resolved in a coroutine (managed Dns, which calls getaddrinfo) goes through the
    /// hook — the lookup runs on an offload thread while the coroutine parks — and gives the right answer; the same
    /// lookup on a plain thread is not diverted.</summary>
    [Scenario("dns")]
    public static void Dns()
    {
        Coroutine.Configure(o => o.SchedulerCount = 1);
        Hooks.Enable();
        Scenarios.Check(Hooks.Status["getaddrinfo"].State == HookState.Hooked, "getaddrinfo: " + Hooks.Status["getaddrinfo"]);
        long before = Interlocked.Read(ref Co.Hook.Handlers.ResolverHandlers.Offloaded);
        System.Net.IPAddress[] plain = System.Net.Dns.GetHostAddresses("localhost");
        Scenarios.Check(Interlocked.Read(ref Co.Hook.Handlers.ResolverHandlers.Offloaded) == before, "a lookup on a plain thread was diverted");
        Scenarios.Check(plain.Any(System.Net.IPAddress.IsLoopback), "localhost did not resolve to a loopback address on a plain thread");

        System.Net.IPAddress[]? inCoroutine = null;
        int ticks = 0;
        var done = new WaitGroup(2);
        Coroutine.Go(() =>
        {
            for (int i = 0; i < 20; i++)
            {
                inCoroutine = System.Net.Dns.GetHostAddresses("localhost");
            }

            done.Done();
        });
        Coroutine.Go(() =>
        {
            for (int i = 0; i < 5; i++)
            {
                Coroutine.Sleep(1);
                ticks++;
            }

            done.Done();
        });
        Scenarios.Check(Task.Run(done.Wait).Wait(TimeSpan.FromSeconds(30)), "the lookups did not finish");
        long offloaded = Interlocked.Read(ref Co.Hook.Handlers.ResolverHandlers.Offloaded) - before;
        Scenarios.Check(offloaded >= 20, $"only {offloaded} of 20 lookups in the coroutine went through the hook");
        Scenarios.Check(inCoroutine is not null && inCoroutine.Any(System.Net.IPAddress.IsLoopback), "localhost did not resolve to a loopback address in the coroutine");
        Scenarios.Check(ticks == 5, "the other coroutine did not run");
    }
}
