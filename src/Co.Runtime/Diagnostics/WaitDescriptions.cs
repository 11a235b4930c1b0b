using Co.Net;
using Co.Scheduling;
using Co.Waiting;

namespace Co.Diagnostics;

/// <summary>Turns a coroutine's current wait into the words of a dump: what it waits on (the primitive behind the
/// wait node, the descriptor and direction of an I/O wait, a bare timer for a sleep) and for how long.</summary>
internal static class WaitDescriptions
{
    public static CoroutineInfo Describe(CoroutineBase coroutine, bool running, long nowMs)
    {
        CoroutineKind kind = coroutine is SyncCoroutine ? CoroutineKind.Sync : CoroutineKind.Async;
        if (running)
        {
            return new CoroutineInfo(coroutine.Id, coroutine.Scheduler.Id, kind, CoroutineState.Running, null, null);
        }

        if (coroutine.CurrentWait is not { } node || node.Outcome != WaitOutcome.None)
        {
            return new CoroutineInfo(coroutine.Id, coroutine.Scheduler.Id, kind, CoroutineState.Runnable, null, null);
        }

        string what = node.Source switch
        {
            PollDescriptor descriptor => $"fd {descriptor.Fd} {(descriptor.IsReader(node) ? "read" : "write")}",
            WaitReason reason => reason.Name,
            null => "sleep",
            { } source => Name(source.GetType()),
        };
        if (node.HasDeadline)
        {
            what += $" (timeout in {Math.Max(Clock.MsUntil(node.Deadline), 0)} ms)";
        }

        long started = coroutine.WaitStartedMs;
        TimeSpan? waited = started == CoroutineBase.UnknownStart ? null : TimeSpan.FromMilliseconds(Math.Max(nowMs - started, 0));
        return new CoroutineInfo(coroutine.Id, coroutine.Scheduler.Id, kind, CoroutineState.Waiting, what, waited);
    }

    /// <summary>A coroutine whose thread the monitor detached: blocked in <paramref name="blockedIn"/> since
    /// <paramref name="sinceMs"/>.</summary>
    public static CoroutineInfo DescribeBlocked(CoroutineBase coroutine, string? blockedIn, long sinceMs, long nowMs) =>
        new(coroutine.Id, coroutine.Scheduler.Id, coroutine is SyncCoroutine ? CoroutineKind.Sync : CoroutineKind.Async,
            CoroutineState.Blocked, blockedIn, TimeSpan.FromMilliseconds(Math.Max(nowMs - sinceMs, 0)));

    /// <summary>"Chan&lt;Int32&gt;" rather than "Chan`1".</summary>
    private static string Name(Type type) =>
        type.IsGenericType
            ? $"{type.Name[..type.Name.IndexOf('`')]}<{string.Join(", ", type.GetGenericArguments().Select(Name))}>"
            : type.Name;
}
