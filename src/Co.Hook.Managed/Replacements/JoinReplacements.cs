using Co.Hook.Handlers;
using Co.Hook.Managed.Engine;

namespace Co.Hook.Managed.Replacements;

/// <summary>
/// <see cref="Thread.Join(int)"/> and <see cref="Thread.Join()"/> (crossgen2 may have copied the first into the second):
/// a runtime wait for the thread's end, which nothing managed signals. In coroutine code the coroutine retries the
/// original with a zero timeout between parks (<see cref="ParkedRetry"/>: it notices the end within 50 ms; an interrupt
/// at once), so the results and exceptions are the original's. Everywhere else, and for zero or invalid timeouts, it is
/// the original.
/// </summary>
internal static unsafe partial class JoinReplacements
{
    [ManagedHook(typeof(Thread), nameof(Thread.Join))]
    internal static bool JoinTimeout(Thread thread, int millisecondsTimeout)
    {
        if (millisecondsTimeout == 0 || millisecondsTimeout < Timeout.Infinite || !BlockingCall.CanDivert())
        {
            using JitGuard.OriginalScope original = JitGuard.EnterOriginal();
            return JoinTimeoutOriginal(thread, millisecondsTimeout);
        }

        ManagedDivertCounters.Record(ManagedHookId.JoinTimeout);
        return ParkedRetry.Until(() => TryJoin(thread), millisecondsTimeout, []);
    }

    [ManagedHook(typeof(Thread), nameof(Thread.Join))]
    internal static void JoinInfinite(Thread thread)
    {
        if (!BlockingCall.CanDivert())
        {
            using JitGuard.OriginalScope original = JitGuard.EnterOriginal();
            JoinInfiniteOriginal(thread);
            return;
        }

        ManagedDivertCounters.Record(ManagedHookId.JoinInfinite);
        ParkedRetry.Until(() => TryJoin(thread), Timeout.Infinite, []);
    }

    private static bool TryJoin(Thread thread)
    {
        using JitGuard.OriginalScope original = JitGuard.EnterOriginal();
        return JoinTimeoutOriginal(thread, 0);
    }
}
