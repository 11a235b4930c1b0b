using Co.Hook.Handlers;
using Co.Hook.Managed.Engine;

namespace Co.Hook.Managed.Replacements;

/// <summary>
/// Sync-over-async: <c>Task.Wait</c>, <c>Task&lt;T&gt;.Result</c> and <c>GetAwaiter().GetResult()</c> on a task that has
/// not completed all end in the private <c>Task.SpinThenBlockingWait(int, CancellationToken)</c>, which blocks the
/// thread on an event. In coroutine code the coroutine parks instead, until the task completes, the timeout passes or
/// the token is cancelled — the results the original gives (true, false, OperationCanceledException); the callers then
/// unwrap the task's outcome as always. Everywhere else it is the original.
/// </summary>
/// <remarks>This is how <c>HttpClient.Send</c> waits for a connection that the pool establishes asynchronously, and
/// how many "synchronous" client APIs wrap their asynchronous core.</remarks>
internal static unsafe partial class TaskWaitReplacement
{
    [ManagedHook(typeof(Task), "SpinThenBlockingWait", Note = "Task.Wait, .Result, GetAwaiter().GetResult()")]
    internal static bool SpinThenBlockingWait(Task task, int millisecondsTimeout, CancellationToken cancellationToken)
    {
        if (task.IsCompleted || !BlockingCall.CanDivert())
        {
            using JitGuard.OriginalScope original = JitGuard.EnterOriginal();
            return SpinThenBlockingWaitOriginal(task, millisecondsTimeout, cancellationToken);
        }

        ManagedDivertCounters.Record(ManagedHookId.SpinThenBlockingWait);
        var done = new Event(manualReset: true);
        task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(done.Signal);
        using (cancellationToken.UnsafeRegister(static state => ((Event)state!).Signal(), done))
        {
            using BlockingCall.Scope scope = BlockingCall.Enter();
            done.Wait(millisecondsTimeout);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return task.IsCompleted;
    }
}
