namespace Co.Platform.Linux;

/// <summary><see cref="IThreadPlacement"/> on gettid (<see cref="ThreadActivity"/>) and sched_setaffinity
/// (<see cref="CpuAffinity"/>).</summary>
internal sealed class LinuxThreadPlacement : IThreadPlacement
{
    public int CurrentThreadId() => ThreadActivity.CurrentThreadId();

    public int[] AllowedCpus() => CpuAffinity.AllowedCpus();

    public bool PinCurrentThread(int cpu) => CpuAffinity.PinCurrentThread(cpu);
}
