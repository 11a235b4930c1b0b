using System.Globalization;

namespace Co;

/// <summary>Settings of the coroutine schedulers, applied with <see cref="Coroutine.Configure"/> before first use.</summary>
public sealed class CoroutineOptions
{
    /// <summary>The environment variable that sets the scheduler count when <see cref="SchedulerCount"/> is not set.</summary>
    internal const string SchedulerCountVariable = "CO_SCHED_NUM";

    /// <summary>The environment variable that sets <see cref="BlockedSchedulerThreshold"/> in milliseconds (0: off)
    /// when it is not set in code.</summary>
    internal const string BlockedThresholdVariable = "CO_BLOCKED_THRESHOLD_MS";

    private static readonly TimeSpan DefaultBlockedSchedulerThreshold = TimeSpan.FromMilliseconds(20);

    private int? _schedulerCount;
    private int _syncStackSize = 256 * 1024;
    private TimeSpan _spareThreadIdleTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The number of schedulers, at least 1. Unless set, the <c>CO_SCHED_NUM</c> environment variable if it holds a
    /// positive number, else <see cref="Environment.ProcessorCount"/> (co's default: one per CPU core).
    /// </summary>
    public int SchedulerCount
    {
        get => _schedulerCount ?? (TryReadSchedulerCountVariable(out int fromEnvironment) ? fromEnvironment : Environment.ProcessorCount);
        set => _schedulerCount = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "The scheduler count must be at least 1.");
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

    private TimeSpan? _blockedSchedulerThreshold;

    /// <summary>How long a spare scheduler thread (one with no parked coroutine) stays before it exits. Default 10 s.
    /// Each scheduler keeps its last spare: a park must never need a thread the OS may refuse (docs/ARCHITECTURE.md,
    /// "Threads and the OS thread limit").</summary>
    public TimeSpan SpareThreadIdleTimeout
    {
        get => _spareThreadIdleTimeout;
        set => _spareThreadIdleTimeout = value > TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "The idle timeout must be positive.");
    }

    /// <summary>
    /// How long a coroutine may hold its scheduler, blocked in the kernel in a call no hook diverted, before the
    /// blocked-scheduler monitor hands the scheduler to another thread so its other coroutines go on. Unless set, the
    /// <c>CO_BLOCKED_THRESHOLD_MS</c> environment variable if it holds a whole number of milliseconds, else 20 ms;
    /// <see cref="TimeSpan.Zero"/> turns the monitor off. A coroutine that computes is never handed off, only one
    /// whose thread sleeps in the kernel. The rescued coroutine goes on on its own thread, outside the scheduler,
    /// until its next suspension point, where it rejoins (<see cref="Coroutine.SchedulerBlocked"/> reports it then).
    /// See docs/ARCHITECTURE.md, "The blocked-scheduler monitor".
    /// </summary>
    public TimeSpan BlockedSchedulerThreshold
    {
        get => _blockedSchedulerThreshold ?? (TryReadBlockedThresholdVariable(out TimeSpan fromEnvironment) ? fromEnvironment : DefaultBlockedSchedulerThreshold);
        set => _blockedSchedulerThreshold = value >= TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "The threshold must be zero (off) or positive.");
    }

    internal CoroutineOptions Clone() => (CoroutineOptions)MemberwiseClone();

    /// <summary>Throws if <see cref="SchedulerCount"/> or <see cref="BlockedSchedulerThreshold"/> was not set and its
    /// environment variable is set to something it cannot mean: a misspelt setting should stop the start, not be
    /// ignored.</summary>
    internal void ValidateEnvironmentVariables()
    {
        string? raw = Environment.GetEnvironmentVariable(SchedulerCountVariable);
        if (_schedulerCount is null && !string.IsNullOrWhiteSpace(raw) && !TryReadSchedulerCountVariable(out _))
        {
            throw new InvalidOperationException($"{SchedulerCountVariable}='{raw}' is not a positive number of schedulers.");
        }

        raw = Environment.GetEnvironmentVariable(BlockedThresholdVariable);
        if (_blockedSchedulerThreshold is null && !string.IsNullOrWhiteSpace(raw) && !TryReadBlockedThresholdVariable(out _))
        {
            throw new InvalidOperationException($"{BlockedThresholdVariable}='{raw}' is not a whole number of milliseconds (0 turns the monitor off).");
        }
    }

    private static bool TryReadSchedulerCountVariable(out int count) =>
        int.TryParse(Environment.GetEnvironmentVariable(SchedulerCountVariable), out count) && count >= 1;

    private static bool TryReadBlockedThresholdVariable(out TimeSpan threshold)
    {
        bool valid = int.TryParse(Environment.GetEnvironmentVariable(BlockedThresholdVariable), NumberStyles.None, CultureInfo.InvariantCulture, out int ms);
        threshold = TimeSpan.FromMilliseconds(valid ? ms : 0);
        return valid;
    }
}
