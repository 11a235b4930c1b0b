namespace Co;

/// <summary>Settings of the coroutine schedulers, applied with <see cref="Coroutine.Configure"/> before first use.</summary>
public sealed class CoroutineOptions
{
    private int _schedulerCount;
    private int _syncStackSize = 256 * 1024;
    private TimeSpan _spareThreadIdleTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The number of schedulers. 0 (the default) means: the <c>CO_SCHED_NUM</c> environment variable if set, else
    /// <see cref="Environment.ProcessorCount"/>.
    /// </summary>
    public int SchedulerCount
    {
        get => _schedulerCount;
        set => _schedulerCount = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "The scheduler count must be positive, or 0 for the default.");
    }

    /// <summary>
    /// Whether all threads of scheduler i run on one CPU (the i-th the process may use, modulo their number). On by
    /// default: only one of them runs at a time, and a hand-off between two threads of one CPU is an order of magnitude
    /// cheaper than waking a thread on an idle CPU.
    /// </summary>
    public bool PinSchedulerThreads { get; set; } = true;

    /// <summary>The stack size in bytes of the threads that carry sync coroutines (each parked sync coroutine keeps one).
    /// Default 256 KiB; at least 64 KiB.</summary>
    public int SyncStackSize
    {
        get => _syncStackSize;
        set => _syncStackSize = value >= 64 * 1024 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "The stack size must be at least 64 KiB.");
    }

    /// <summary>How long a spare scheduler thread (one with no parked coroutine) stays before it exits. Default 10 s.</summary>
    public TimeSpan SpareThreadIdleTimeout
    {
        get => _spareThreadIdleTimeout;
        set => _spareThreadIdleTimeout = value > TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "The idle timeout must be positive.");
    }

    internal CoroutineOptions Clone() => (CoroutineOptions)MemberwiseClone();
}
