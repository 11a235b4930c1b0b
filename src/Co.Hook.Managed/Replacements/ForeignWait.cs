using Co.Hook.Handlers;

namespace Co.Hook.Managed.Replacements;

/// <summary>Parking the calling coroutine (not its thread) until something outside the runtime completes.</summary>
internal static class ForeignWait
{
    /// <summary>Until <paramref name="task"/> completes.</summary>
    public static void UntilDone(Task task)
    {
        if (task.IsCompleted)
        {
            return;
        }

        var done = new Event(manualReset: true);
        task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(done.Signal);
        using BlockingCall.Scope scope = BlockingCall.Enter();
        done.Wait();
    }
}
