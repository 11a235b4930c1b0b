using System.Runtime.InteropServices;
using Co.Platform.Linux;

namespace Co.Hook.Handlers;

/// <summary>
/// The sleep family (sleep, usleep, nanosleep, clock_nanosleep), reached through a gate only from coroutine code
/// outside the runtime's own modules: the coroutine sleeps on its scheduler's timers (<see cref="Coroutine.Sleep"/>),
/// the scheduler goes on. Results follow libc: 0 (nothing remains: a coroutine sleep is not interrupted by signals).
/// </summary>
internal static unsafe partial class SleepHandlers
{
    private const int TimerAbstime = 1;

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, long* timespec);

    [NativeHook(HookLibraries.Libc, "sleep", Gate = NativeGate.CallersOutsideRuntime)]
    [UnmanagedCallersOnly]
    internal static uint Sleep(uint seconds)
    {
        using BlockingCall.Scope scope = BlockingCall.Enter();
        SleepFor((long)seconds * 1_000_000_000);
        return 0;
    }

    [NativeHook(HookLibraries.Libc, "usleep", Gate = NativeGate.CallersOutsideRuntime)]
    [UnmanagedCallersOnly]
    internal static int USleep(uint microseconds)
    {
        using BlockingCall.Scope scope = BlockingCall.Enter();
        SleepFor((long)microseconds * 1000);
        return 0;
    }

    [NativeHook(HookLibraries.Libc, "nanosleep", Gate = NativeGate.CallersOutsideRuntime)]
    [UnmanagedCallersOnly]
    internal static int NanoSleep(long* request, long* remaining)
    {
        using BlockingCall.Scope scope = BlockingCall.Enter();
        if (request is null || request[0] < 0 || request[1] is < 0 or > 999_999_999)
        {
            return NanoSleepOriginal(request, remaining); // libc's EINVAL / EFAULT
        }

        SleepFor((request[0] * 1_000_000_000) + request[1]);
        return 0;
    }

    [NativeHook(HookLibraries.Libc, "clock_nanosleep", Gate = NativeGate.CallersOutsideRuntime)]
    [UnmanagedCallersOnly]
    internal static int ClockNanoSleep(int clock, int flags, long* request, long* remaining)
    {
        using BlockingCall.Scope scope = BlockingCall.Enter();
        if (request is null || request[0] < 0 || request[1] is < 0 or > 999_999_999)
        {
            return ClockNanoSleepOriginal(clock, flags, request, remaining); // libc's result for bad input
        }

        long nanoseconds = (request[0] * 1_000_000_000) + request[1];
        if ((flags & TimerAbstime) != 0)
        {
            long* now = stackalloc long[2];
            if (ClockGetTime(clock, now) != 0)
            {
                return ClockNanoSleepOriginal(clock, flags, request, remaining); // an unknown clock: libc's EINVAL
            }

            nanoseconds -= (now[0] * 1_000_000_000) + now[1];
        }

        SleepFor(nanoseconds);
        return 0;
    }

    /// <summary>Sleeps the coroutine at least <paramref name="nanoseconds"/> (rounded up to milliseconds, the timers'
    /// resolution); nothing at all for zero or less, like the originals.</summary>
    private static void SleepFor(long nanoseconds)
    {
        if (nanoseconds <= 0)
        {
            return;
        }

        long ms = (nanoseconds + 999_999) / 1_000_000;
        Coroutine.Sleep((int)Math.Min(ms, int.MaxValue));
    }
}
