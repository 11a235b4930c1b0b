using Co.Net;
using Co.Scheduling;
using Xunit;

namespace Co.Tests.Sockets;

/// <summary>The one readiness loop every socket call runs (Net/ReadinessLoop): its decision (a final result ends the
/// call, "would block" waits only when the caller waits), its waits on a real socket, and the conversion of its result
/// at the errno edges.</summary>
public class ReadinessLoopTests
{
    [Fact]
    public void Run_EndsAtOnce_WhenTheFirstResultIsFinal()
    {
        foreach (IoResult first in new[] { IoResult.Done(5), IoResult.Failed(Err.EBADF) })
        {
            var attempt = new ScriptedAttempt(waits: true);

            // No worker: a wait would throw, so returning shows the loop neither waited nor attempted again.
            IoResult result = ReadinessLoop.Run(-1, read: true, ref attempt, first);

            Assert.Equal(first.Status, result.Status);
            Assert.Equal(first.Value, result.Value);
            Assert.Equal(0, attempt.Attempts);
            Assert.Equal(0, attempt.WaitQuestions);
        }
    }

    [Fact]
    public void Run_ReturnsWouldBlock_WhenTheCallerDoesNotWait()
    {
        var attempt = new ScriptedAttempt(waits: false);

        IoResult result = ReadinessLoop.Run(-1, read: true, ref attempt, IoResult.WouldBlock);

        Assert.Equal(IoStatus.WouldBlock, result.Status);
        Assert.Equal(Err.EAGAIN, result.ErrorCode(timedOut: Err.ETIMEDOUT));
        Assert.Equal(1, attempt.WaitQuestions);
        Assert.Equal(0, attempt.Attempts);
    }

    [Fact]
    public async Task Run_WaitsForReadiness_ThenAttemptsAgain()
    {
        using SockPair p = await Loop.Pair();
        Task<(IoResult, int)> waiter = CoRun.Sync(() =>
        {
            // The first attempt after readiness finds nothing (as when another reader took the data): wait again.
            var attempt = new ScriptedAttempt(waits: true, IoResult.WouldBlock, IoResult.Done(7));
            IoResult final = ReadinessLoop.Run((int)p.Server, read: true, ref attempt, IoResult.WouldBlock);
            return (final, attempt.Attempts);
        }, CoRun.S(0));
        await CoRun.Sync(() =>
        {
            Assert.Equal(1, Sock.Send(p.Client, "x"u8));
            Coroutine.Sleep(50);
            Assert.Equal(1, Sock.Send(p.Client, "y"u8));
        }, CoRun.S(1));

        (IoResult result, int attempts) = await waiter;
        Assert.Equal(IoStatus.Done, result.Status);
        Assert.Equal(7, result.Value);
        Assert.Equal(2, attempts);
    }

    [Fact]
    public async Task Run_EndsWithTimedOut_WhenTheDeadlinePassesWithoutReadiness()
    {
        using SockPair p = await Loop.Pair();
        (IoResult result, int attempts) = await CoRun.Sync(() =>
        {
            var attempt = new ScriptedAttempt(waits: true) { DeadlineTicks = Clock.DeadlineAfter(30) };
            IoResult final = ReadinessLoop.Run((int)p.Server, read: true, ref attempt, IoResult.WouldBlock);
            return (final, attempt.Attempts);
        });

        Assert.Equal(IoStatus.TimedOut, result.Status);
        Assert.Equal(0, attempts);
        Assert.Equal(Err.ETIMEDOUT, result.ErrorCode(timedOut: Err.ETIMEDOUT));
        Assert.Equal(Err.EAGAIN, result.ErrorCode(timedOut: Err.EAGAIN)); // a hooked call's socket timeout
    }

    [Fact]
    public void ErrorCode_GivesEachOutcomesErrno()
    {
        Assert.Equal(0, IoResult.Done(3).ErrorCode(timedOut: Err.ETIMEDOUT));
        Assert.Equal(Err.EBADF, IoResult.Closed.ErrorCode(timedOut: Err.ETIMEDOUT));
        Assert.Equal(Err.EPIPE, IoResult.Failed(Err.EPIPE).ErrorCode(timedOut: Err.ETIMEDOUT));
        Assert.Equal(IoStatus.WouldBlock, IoResult.FromError(Err.EAGAIN).Status);
        Assert.Equal(IoStatus.Failed, IoResult.FromAttempt(Err.EPIPE, 0).Status);
        Assert.Equal(9, IoResult.FromAttempt(0, 9).Value);
    }

    /// <summary>An attempt that gives scripted results (then "would block" for ever) and counts what the loop asks.</summary>
    private struct ScriptedAttempt(bool waits, params IoResult[] script) : IReadinessAttempt
    {
        public int Attempts { get; private set; }

        public int WaitQuestions { get; private set; }

        public long DeadlineTicks { get; init; } = long.MaxValue;

        public IoResult Attempt()
        {
            int index = Attempts++;
            return index < script.Length ? script[index] : IoResult.WouldBlock;
        }

        public bool WaitsWhenBlocked()
        {
            WaitQuestions++;
            return waits;
        }

        public readonly long Deadline() => DeadlineTicks;
    }
}
