using System.Numerics;

namespace Co.Platform.Windows;

/// <summary><see cref="IThreadPlacement"/> on GetCurrentThreadId and the affinity masks. A mask covers one processor
/// group (64 CPUs): on a machine with more, schedulers are placed within the process's group, as Windows places a
/// process that does not ask for more.</summary>
internal sealed class WindowsThreadPlacement : IThreadPlacement
{
    public int CurrentThreadId() => (int)Kernel32.GetCurrentThreadId();

    public int[] AllowedCpus()
    {
        if (!Kernel32.GetProcessAffinityMask(Kernel32.GetCurrentProcess(), out nuint processMask, out _))
        {
            return [];
        }

        var cpus = new List<int>(BitOperations.PopCount(processMask));
        for (int cpu = 0; cpu < nuint.Size * 8; cpu++)
        {
            if ((processMask & ((nuint)1 << cpu)) != 0)
            {
                cpus.Add(cpu);
            }
        }

        return [.. cpus];
    }

    public bool PinCurrentThread(int cpu) =>
        cpu >= 0 && cpu < nuint.Size * 8 && Kernel32.SetThreadAffinityMask(Kernel32.GetCurrentThread(), (nuint)1 << cpu) != 0;
}
