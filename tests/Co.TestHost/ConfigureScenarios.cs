using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Co.Testing;
using static Co.TestHost.ScenarioSupport;

namespace Co.TestHost;

/// <summary>Coroutine.Configure: after start, with bad values, with null.</summary>
internal static class ConfigureScenarios
{
    // Configure after the first coroutine ran must throw InvalidOperationException.
    [Scenario("configure-after-start")]
    internal static void ConfigureAfterStart()
    {
        int before = Coroutine.SchedulerCount;
        if (!RunSyncBounded(() => { })) throw Fail("coroutine did not run");
        string? exc = Catch(() => Coroutine.Configure(o => o.SchedulerCount = before + 1));
        Console.Out.WriteLine($"RESULT configure_after_start={exc ?? "none"} count_before={before} " +
                              $"count_after={Coroutine.SchedulerCount} schedulers_after={Coroutine.Schedulers.Count}");
        // The runtime keeps working.
        bool ran = RunSyncBounded(() => { });
        Console.Out.WriteLine($"RESULT still_runs={ran}");
    }

    // SchedulerCount = 0 is rejected by Configure (setter or validation).
    [Scenario("configure-invalid")]
    internal static void ConfigureInvalid()
    {
        Exception? caught = null;
        try { Coroutine.Configure(o => o.SchedulerCount = 0); }
        catch (Exception e) { caught = e; }
        Console.Out.WriteLine($"RESULT configure_zero={TypeName(caught)} is_argument_exception={caught is ArgumentException}");
        caught = null;
        try { Coroutine.Configure(o => o.SchedulerCount = -3); }
        catch (Exception e) { caught = e; }
        Console.Out.WriteLine($"RESULT configure_negative={TypeName(caught)} is_argument_exception_neg={caught is ArgumentException}");
    }

    // Configure(null) -> ArgumentNullException (before start).
    [Scenario("configure-null")]
    internal static void ConfigureNull()
    {
        string? exc = Catch(() => Coroutine.Configure(null!));
        Console.Out.WriteLine($"RESULT configure_null={exc ?? "none"}");
    }
}
