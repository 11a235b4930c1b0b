using Co.Hook.Handlers;
using Co.Hook.Managed.Engine;

namespace Co.Hook.Managed.Replacements;

/// <summary>
/// Thread.Sleep(int) — every Thread.Sleep overload and SpinWait's back-off reach it — is a futex wait inside the
/// runtime, invisible to the native sleep hooks. In coroutine code it sleeps the coroutine on its scheduler's timers
/// (0 yields, Timeout.Infinite parks for good); everywhere else, and for arguments the original rejects, it is the
/// original.
/// </summary>
internal static unsafe partial class SleepReplacement
{
    [ManagedHook(typeof(Thread), nameof(Thread.Sleep), Static = true)]
    internal static void Sleep(int millisecondsTimeout)
    {
        if (millisecondsTimeout >= Timeout.Infinite && BlockingCall.CanDivert())
        {
            ManagedDivertCounters.Record(ManagedHookId.Sleep);
            if (millisecondsTimeout == 0)
            {
                Coroutine.Yield();
                return;
            }

            do
            {
                Coroutine.Sleep(millisecondsTimeout == Timeout.Infinite ? int.MaxValue : millisecondsTimeout);
            }
            while (millisecondsTimeout == Timeout.Infinite);

            return;
        }

        using JitGuard.OriginalScope original = JitGuard.EnterOriginal();
        SleepOriginal(millisecondsTimeout);
    }
}
