using System.Runtime.CompilerServices;
using Xunit;

// Tests measure concurrency (timing bounds, thread counts, per-scheduler critical sections) and share the
// process-global schedulers, so they run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Co.Tests;

/// <summary>
/// Configures the in-process runtime before anything touches it: exactly two schedulers, whatever the
/// machine's processor count or CO_SCHED_NUM says, so in-process tests are deterministic everywhere.
/// Tests that need another scheduler count, Configure() or Stop() run in a child process (<see cref="TestHost"/>).
/// </summary>
internal static class TestSetup
{
    public const int SchedulerCount = 2;

    /// <summary>The exception Configure threw in the module initializer, if any (asserted by a test).</summary>
    public static Exception? ConfigureError { get; private set; }

#pragma warning disable CA2255 // ModuleInitializer in a library: intended, the test assembly must configure first.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Init()
    {
        try
        {
            Coroutine.Configure(o => o.SchedulerCount = SchedulerCount);
        }
        catch (Exception e)
        {
            ConfigureError = e;
        }
    }
}
