using System.Diagnostics;
using Xunit;

namespace Co.Tests;

/// <summary>Select: Go's select over channels with a timeout, sync (parks) and async.</summary>
public class SelectTests
{
    [Fact]
    public async Task EachCase_FiresWhenItsChannelIsReady_AndOnlyItTouchesItsChannel()
    {
        var a = new Chan<int>(2);
        var b = new Chan<string>(2);
        var c = new Chan<int>(1);
        await CoRun.Sync(() =>
        {
            int got = 0;
            string? text = null;
            bool sent = false;
            c.Write(0); // full: the send case cannot fire
            Select Build() => new Select().Recv(a, v => got = v).Recv(b, v => text = v).Send(c, 99, () => sent = true).Timeout(0);

            a.Write(1);
            Assert.Equal(0, Build().Run());
            Assert.Equal(1, got);

            b.Write("x");
            Assert.Equal(1, Build().Run());
            Assert.Equal("x", text);

            Assert.Equal(0, c.Read()); // room now
            Assert.Equal(2, Build().Run());
            Assert.True(sent);
            Assert.Equal(99, c.Read());

            c.Write(0);
            sent = false;
            Assert.Equal(Select.TimedOut, Build().Run());
            Assert.False(sent);
            Assert.Equal((0, 0, 1), (a.Count, b.Count, c.Count));
        });
    }

    [Fact]
    public async Task Waits_UntilAValueArrives_InASyncCoroutine_WithoutBlockingItsScheduler()
    {
        var a = new Chan<int>();
        var b = new Chan<int>();
        int ticks = 0;
        Task<(int Fired, int Value)> selecting = CoRun.Sync(() =>
        {
            int value = 0;
            int fired = new Select().Recv(a, v => value = v).Recv(b, v => value = -v).Run();
            return (fired, value);
        }, CoRun.S(0));
        Task ticker = CoRun.Sync(() => { for (int i = 0; i < 5; i++) { Coroutine.Sleep(10); ticks++; } }, CoRun.S(0));
        await ticker; // the scheduler of the parked select runs the ticker
        Assert.False(selecting.IsCompleted);
        b.Write(5);
        Assert.Equal((1, -5), await selecting);
        Assert.Equal(5, ticks);
        Assert.Equal(0, a.Count + b.Count);
    }

    [Fact]
    public async Task Timeout_FiresWhenNoCaseIsReady()
    {
        var a = new Chan<int>();
        var full = new Chan<int>(1);
        full.Write(1);
        await CoRun.Sync(() =>
        {
            bool handled = false;
            var sw = Stopwatch.StartNew();
            int fired = new Select().Recv(a, _ => handled = true).Send(full, 2, () => handled = true).Timeout(60).Run();
            Assert.Equal(Select.TimedOut, fired);
            Assert.False(handled);
            Assert.InRange(sw.ElapsedMilliseconds, 50, 5000);
        });
        // Plain thread too.
        await CoRun.Thread(() => Assert.Equal(Select.TimedOut, new Select().Recv(a).Timeout(30).Run()));
        Assert.Equal(1, full.Count);
        Assert.Equal(1, full.Read());
    }

    [Fact]
    public async Task ClosedChannels_RecvIsReadyWithOkFalseAfterDraining_SendThrows()
    {
        var chan = new Chan<int>(2);
        chan.Write(4);
        chan.Close();
        await CoRun.Sync(() =>
        {
            var seen = new List<(int, bool)>();
            var select = new Select().Recv(chan, (v, ok) => seen.Add((v, ok)));
            Assert.Equal(0, select.Run());
            Assert.Equal(0, select.Run());
            Assert.Equal([(4, true), (0, false)], seen);

            Assert.Throws<ChanClosedException>(() => new Select().Send(chan, 1).Run());
        });

        // A select parked on an open channel is woken by Close.
        var open = new Chan<string>();
        Task<bool?> waiting = CoRun.Sync<bool?>(() =>
        {
            bool? okSeen = null;
            new Select().Recv(open, (_, ok) => okSeen = ok).Run();
            return okSeen;
        });
        await Task.Delay(30);
        open.Close();
        Assert.False(await waiting);
    }

    [Fact]
    public async Task ReadyCases_AreChosenAtRandom()
    {
        var a = new Chan<int>(1);
        var b = new Chan<int>(1);
        var counts = new int[2];
        await CoRun.Sync(() =>
        {
            for (int i = 0; i < 400; i++)
            {
                if (a.Count == 0) a.Write(1);
                if (b.Count == 0) b.Write(2);
                counts[new Select().Recv(a).Recv(b).Run()]++;
            }
        });
        // Go picks uniformly among ready cases; a fixed order would give 400/0.
        Assert.True(counts[0] > 100 && counts[1] > 100, $"picks: {counts[0]} / {counts[1]}");
    }

    [Fact]
    public async Task ASelectWokenByTwoChannelsAtOnce_TakesOneValue_TheOtherStaysBuffered()
    {
        for (int round = 0; round < 50; round++)
        {
            var a = new Chan<int>();
            var b = new Chan<int>();
            int got = 0;
            Task<int> selecting = CoRun.Sync(() => new Select().Recv(a, v => got = v).Recv(b, v => got = v).Run(), CoRun.S(round % 2));
            await Task.Delay(2);
            Task wa = Task.Run(() => a.Write(1));
            Task wb = Task.Run(() => b.Write(2));
            await CoRun.Bound(Task.WhenAll(wa, wb, selecting), "select and writers");
            int fired = await selecting;
            Assert.Equal(fired == 0 ? 1 : 2, got);
            Assert.Equal(1, a.Count + b.Count); // exactly one value taken, the other still buffered
            Assert.Equal(fired == 0 ? 0 : 1, a.Count);
        }
    }

    [Fact]
    public async Task AWakeUpTheSelectCannotUse_IsPassedOnToTheNextWaiterOfThatChannel()
    {
        for (int round = 0; round < 20; round++)
        {
            var a = new Chan<int>();
            var b = new Chan<int>();
            // The select enlists on a first, then a plain reader queues behind it on a.
            Task<int> selecting = CoRun.Sync(() => new Select().Recv(a).Recv(b).Run(), CoRun.S(0));
            await Task.Delay(20);
            Task<int> reader = CoRun.Sync(a.Read, CoRun.S(1));
            await Task.Delay(20);

            // b wakes the select; a's write then claims the select's case on a (first in line) while the select is
            // resuming. That wake-up must reach the reader, or the item sits in the buffer beside a sleeping reader.
            b.Write(2);
            a.Write(1);
            int fired = await Bounded(selecting, "select");
            if (fired == 1)
            {
                Assert.Equal(1, await Bounded(reader, "reader behind the select"));
            }
            else
            {
                // The select took a's item; b's stays buffered for anyone.
                a.Write(3);
                Assert.Equal(3, await Bounded(reader, "reader"));
                Assert.Equal(1, b.Count);
            }
        }
    }

    [Fact]
    public async Task Stress_ProducersAndConsumers_NoValueLostOrDuplicated()
    {
        const int producers = 6;
        const int perProducer = 3000;
        var chans = new[] { new Chan<int>(1), new Chan<int>(4), new Chan<int>(16) };
        var seen = new int[producers * perProducer];
        int received = 0;

        // Producers send with select (whichever channel has room); consumers receive with select, sync, async or
        // plain; a few plain Read loops compete with them, so select wake-ups meet ordinary waiters.
        var producing = new List<Task>();
        for (int p = 0; p < producers; p++)
        {
            int id = p;
            Action body = () =>
            {
                for (int i = 0; i < perProducer; i++)
                {
                    int value = id * perProducer + i;
                    Assert.NotEqual(Select.TimedOut, new Select().Send(chans[0], value).Send(chans[1], value).Send(chans[2], value).Run());
                }
            };
            producing.Add(id % 3 == 2 ? CoRun.Thread(body) : CoRun.Sync(body, CoRun.S(id % 2)));
        }

        void Record(int value)
        {
            Assert.Equal(1, Interlocked.Increment(ref seen[value]));
            Interlocked.Increment(ref received);
        }

        Action syncConsumer = () =>
        {
            var open = new bool[] { true, true, true };
            var select = new Select();
            for (int c = 0; c < chans.Length; c++)
            {
                int index = c;
                select.Recv(chans[c], (v, ok) => { if (ok) Record(v); else open[index] = false; });
            }

            while (open[0] || open[1] || open[2])
            {
                select.Run();
            }
        };

        Func<Task> asyncConsumer = async () =>
        {
            var open = new bool[] { true, true, true };
            var select = new Select();
            for (int c = 0; c < chans.Length; c++)
            {
                int index = c;
                select.Recv(chans[c], (v, ok) => { if (ok) Record(v); else open[index] = false; });
            }

            while (open[0] || open[1] || open[2])
            {
                await select.RunAsync();
            }
        };

        var consuming = new List<Task>
        {
            CoRun.Sync(syncConsumer, CoRun.S(0)),
            CoRun.Sync(syncConsumer, CoRun.S(1)),
            CoRun.Async(asyncConsumer, CoRun.S(0)),
            CoRun.Async(asyncConsumer, CoRun.S(1)),
            CoRun.Thread(syncConsumer),
        };
        foreach (Chan<int> chan in chans)
        {
            consuming.Add(CoRun.Sync(() =>
            {
                while (chan.TryRead(out int v, -1) == ChanStatus.Ok)
                {
                    Record(v);
                }
            }, CoRun.S(1)));
        }

        await CoRun.Bound(Task.WhenAll(producing), TimeSpan.FromSeconds(60), "producers");
        foreach (Chan<int> chan in chans)
        {
            chan.Close();
        }

        await CoRun.Bound(Task.WhenAll(consuming), TimeSpan.FromSeconds(60), "consumers");
        Assert.Equal(producers * perProducer, received);
        Assert.All(seen, count => Assert.Equal(1, count));
    }

    [Fact]
    public async Task RunAsync_InAsyncCoroutines_FiresTimesOutAndCancelsWithoutConsuming()
    {
        var a = new Chan<int>();
        var b = new Chan<int>(1);
        int value = 0;
        Task<int> selecting = CoRun.Async(async () =>
        {
            int fired = await new Select().Recv(a, v => value = v).Recv(b, v => value = v * 10).RunAsync();
            Assert.True(Coroutine.IsInCoroutine); // resumed on its scheduler
            return fired;
        }, CoRun.S(1));
        await Task.Delay(30);
        Assert.False(selecting.IsCompleted);
        await a.WriteAsync(4);
        Assert.Equal(0, await selecting);
        Assert.Equal(4, value);

        int timedOut = await CoRun.Async(async () =>
        {
            var sw = Stopwatch.StartNew();
            int fired = await new Select().Recv(a).Timeout(40).RunAsync();
            Assert.InRange(sw.ElapsedMilliseconds, 30, 5000);
            return fired;
        });
        Assert.Equal(Select.TimedOut, timedOut);

        using var cts = new CancellationTokenSource();
        Task cancelled = CoRun.Async(async () =>
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await new Select().Recv(b).RunAsync(cts.Token));
        });
        await Task.Delay(30);
        await cts.CancelAsync();
        await cancelled;
        b.Write(7);
        Assert.Equal(1, b.Count); // nothing left enlisted takes it
        Assert.Equal(7, b.Read());
    }

    [Fact]
    public async Task RunAsync_FromTaskCode_OutsideCoroutines()
    {
        var a = new Chan<int>();
        int got = 0;
        Task<int> selecting = new Select().Recv(a, v => got = v).Timeout(5000).RunAsync().AsTask();
        await Task.Delay(20);
        a.Write(3);
        Assert.Equal(0, await Bounded(selecting, "select from Task code"));
        Assert.Equal(3, got);
    }

    private static async Task<T> Bounded<T>(Task<T> task, string what)
    {
        await CoRun.Bound(task, what);
        return await task;
    }

    [Fact]
    public void ACaseNodeOfAnEndedWait_CannotResumeALaterWaitOfTheSameNode()
    {
        // A channel may claim a case node under its gate and dispatch it just after the select's wait ended; by then
        // the waiting party's node may be armed for something else (a Sleep, the next select round).
        var target = new Co.Waiting.ThreadWaitNode();
        var stale = new Co.Waiting.SelectCaseNode(target, target.Arm(null));
        Assert.True(target.TryClaim(Co.Waiting.WaitOutcome.TimedOut));
        target.Arm(null);
        stale.Dispatch();
        Assert.Equal(Co.Waiting.WaitOutcome.None, target.Outcome);

        var current = new Co.Waiting.SelectCaseNode(target, target.Version);
        current.Dispatch();
        Assert.Equal(Co.Waiting.WaitOutcome.Signaled, target.Outcome);
    }

    [Fact]
    public void Misuse_IsRejected()
    {
        Assert.Throws<ArgumentNullException>(() => new Select().Recv<int>(null!));
        Assert.Throws<ArgumentNullException>(() => new Select().Send<int>(null!, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Select().Timeout(-2));
        var chan = new Chan<int>();
        var select = new Select().Recv(chan, _ => { });
        Assert.Equal(1, select.Count);
        Assert.Equal(Select.TimedOut, select.Timeout(0).Run());
    }
}
