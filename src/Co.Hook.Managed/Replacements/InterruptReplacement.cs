using Co.Hook.Managed.Engine;

namespace Co.Hook.Managed.Replacements;

/// <summary>
/// <see cref="Thread.Interrupt"/>: the original marks the interrupt pending on the thread (and ends a wait it makes in
/// the runtime); then, if a coroutine on that thread is parked in a detoured primitive, its park ends too, so the
/// interrupt surfaces in that wait as <see cref="ThreadInterruptedException"/>, as it would without hooks.
/// </summary>
internal static unsafe partial class InterruptReplacement
{
    [ManagedHook(typeof(Thread), nameof(Thread.Interrupt))]
    internal static void Interrupt(Thread thread)
    {
        using (JitGuard.EnterOriginal())
        {
            InterruptOriginal(thread);
        }

        ParkedWaits.Interrupt(thread);
    }
}
