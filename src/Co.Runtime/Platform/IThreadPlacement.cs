namespace Co.Platform;

/// <summary>Naming and placing scheduler threads: their OS thread id (for the blocked-scheduler monitor and dumps) and
/// their CPU affinity (all threads of one scheduler share a CPU, see <see cref="Scheduling.SchedulerGroup"/>).</summary>
internal interface IThreadPlacement
{
    /// <summary>The calling thread's OS id.</summary>
    int CurrentThreadId();

    /// <summary>The CPUs the calling thread may run on, in ascending order; empty if the query failed.</summary>
    int[] AllowedCpus();

    /// <summary>Restricts the calling thread to <paramref name="cpu"/>. Returns false (and changes nothing) on failure.</summary>
    bool PinCurrentThread(int cpu);
}
