using Co;

/// <summary>What every control (a scenario's program run without the hooks) sets first.</summary>
internal static class Controls
{
    /// <summary>A control shows the same program without the hooks: serialized. The blocked-scheduler monitor (on by
    /// default) would hand each blocked scheduler to another thread and blur that, so controls run without it.</summary>
    public static void WithoutMonitor() => Coroutine.Configure(o => o.BlockedSchedulerThreshold = TimeSpan.Zero);
}
