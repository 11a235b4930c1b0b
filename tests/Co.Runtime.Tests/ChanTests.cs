using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit;

namespace Co.Tests;

/// <summary>Chan&lt;T&gt;: bounded channel with timeouts and close (co v3 / Go).</summary>
public class ChanTests
{
    /// <summary>A huge capacity costs nothing up front (it threw OutOfMemoryException when the whole buffer was
    /// allocated at construction); the buffer grows as items come, keeping their order across its wrap-around, and the
    /// capacity still bounds it.</summary>
    [Fact]
    public void Capacity_IsTakenAsItemsCome_OrderKeptAcrossGrowth_AndStillBounds()
    {
        var huge = new Chan<long>(int.MaxValue);
        Assert.Equal(int.MaxValue, huge.Capacity);
        for (long i = 0; i < 1000; i++)
        {
            Assert.Equal(ChanStatus.Ok, huge.TryWrite(i, 0));
        }

        Assert.Equal(1000, huge.Count);
        for (long i = 0; i < 1000; i++)
        {
            Assert.Equal(ChanStatus.Ok, huge.TryRead(out long item, 0));
            Assert.Equal(i, item);
        }

        var bounded = new Chan<int>(40);
        int next = 0, expected = 0;
        for (int i = 0; i < 10; i++) Assert.Equal(ChanStatus.Ok, bounded.TryWrite(next++, 0));
        for (int i = 0; i < 7; i++) { Assert.Equal(ChanStatus.Ok, bounded.TryRead(out int item, 0)); Assert.Equal(expected++, item); }
        while (bounded.Count < 40) Assert.Equal(ChanStatus.Ok, bounded.TryWrite(next++, 0)); // grows with the ring wrapped
        Assert.Equal(ChanStatus.TimedOut, bounded.TryWrite(next, 0)); // the capacity still bounds it
        while (bounded.Count > 0) { Assert.Equal(ChanStatus.Ok, bounded.TryRead(out int item, 0)); Assert.Equal(expected++, item); }
        Assert.Equal(next, expected);
    }

    [Fact]
    public void Constructor_CapacityDefaultsToOne_AndMustBePositive()
    {
        var c = new Chan<int>();
        Assert.Equal(1, c.Capacity);
        Assert.Equal(0, c.Count);
        Assert.False(c.IsClosed);
        Assert.Equal(5, new Chan<string>(5).Capacity);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Chan<int>(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Chan<int>(-1));
    }

    [Fact]
    public async Task Fifo_Order_SyncCoroutine()
    {
        var c = new Chan<int>(10);
        await CoRun.Sync(() =>
        {
            for (int i = 1; i <= 10; i++) c.Write(i);
            Assert.Equal(10, c.Count);
            for (int i = 1; i <= 10; i++) Assert.Equal(i, c.Read());
            Assert.Equal(0, c.Count);
        });
    }

    [Fact]
    public async Task Fifo_Order_AcrossProducerAndConsumerCoroutines()
    {
        var c = new Chan<int>(3);
        var got = new List<int>();
        Task producer = CoRun.Sync(() => { for (int i = 0; i < 500; i++) c.Write(i); }, CoRun.S(0));
        Task consumer = CoRun.Async(async () => { for (int i = 0; i < 500; i++) got.Add(await c.ReadAsync()); }, CoRun.S(1));
        await CoRun.Bound(Task.WhenAll(producer, consumer), "producer/consumer");
        Assert.Equal(Enumerable.Range(0, 500), got);
    }

    [Fact]
    public async Task Write_BlocksWhileFull_UntilARead()
    {
        var c = new Chan<int>(2);
        int written = 0;
        Task writer = CoRun.Sync(() =>
        {
            for (int i = 0; i < 3; i++) { c.Write(i); Interlocked.Increment(ref written); }
        }, CoRun.S(0));
        await Task.Delay(200);
        Assert.Equal(2, Volatile.Read(ref written));
        Assert.False(writer.IsCompleted);
        Assert.Equal(2, c.Count);
        Assert.Equal(0, await CoRun.Sync(c.Read, CoRun.S(1)));
        await writer;
        Assert.Equal(3, written);
        Assert.Equal(new[] { 1, 2 }, await CoRun.Sync(() => new[] { c.Read(), c.Read() }));
    }

    [Fact]
    public async Task WriteAsync_BlocksWhileFull_UntilARead()
    {
        var c = new Chan<int>(1);
        int written = 0;
        Task writer = CoRun.Async(async () =>
        {
            for (int i = 0; i < 2; i++) { await c.WriteAsync(i); Interlocked.Increment(ref written); }
        });
        await Task.Delay(200);
        Assert.Equal(1, Volatile.Read(ref written));
        Assert.Equal(0, await CoRun.Async(async () => await c.ReadAsync()));
        await writer;
        Assert.Equal(1, await CoRun.Sync(c.Read));
    }

    [Fact]
    public async Task Read_BlocksWhileEmpty_UntilAWrite()
    {
        var c = new Chan<string>(1);
        Task<string> reader = CoRun.Sync(c.Read);
        await Task.Delay(150);
        Assert.False(reader.IsCompleted);
        await CoRun.Async(async () => await c.WriteAsync("x"));
        Assert.Equal("x", await reader);
    }

    [Fact]
    public async Task TryWrite_TryRead_Timeouts_ReportTimedOut()
    {
        var c = new Chan<int>(1);
        await CoRun.Sync(() =>
        {
            var sw = Stopwatch.StartNew();
            Assert.Equal(ChanStatus.TimedOut, c.TryRead(out int none, 0));
            Assert.Equal(0, none);
            Assert.Equal(ChanStatus.TimedOut, c.TryRead(out _, 100));
            long readMs = sw.ElapsedMilliseconds;
            Assert.InRange(readMs, 90, 5_000);

            Assert.Equal(ChanStatus.Ok, c.TryWrite(1, 0));
            sw.Restart();
            Assert.Equal(ChanStatus.TimedOut, c.TryWrite(2, 0));
            Assert.True(sw.ElapsedMilliseconds < 1_000);
            sw.Restart();
            Assert.Equal(ChanStatus.TimedOut, c.TryWrite(2, 100));
            Assert.InRange(sw.ElapsedMilliseconds, 90, 5_000);
            Assert.Equal(1, c.Count);

            Assert.Equal(ChanStatus.Ok, c.TryRead(out int v, 0));
            Assert.Equal(1, v); // the timed-out writes left nothing behind
            Assert.Equal(ChanStatus.TimedOut, c.TryRead(out _, 0));
        });
    }

    [Fact]
    public async Task TryRead_Forever_ReturnsOkWhenWritten()
    {
        var c = new Chan<int>(1);
        Task<(ChanStatus, int)> reader = CoRun.Sync(() => (c.TryRead(out int x, -1), x));
        await Task.Delay(100);
        await CoRun.Sync(() => c.Write(99));
        Assert.Equal((ChanStatus.Ok, 99), await reader);
    }

    [Fact]
    public async Task TryWriteAsync_TryReadAsync_Timeouts()
    {
        var c = new Chan<int>(1);
        await CoRun.Async(async () =>
        {
            var sw = Stopwatch.StartNew();
            var r = await c.TryReadAsync(100);
            Assert.Equal(ChanStatus.TimedOut, r.Status);
            Assert.InRange(sw.ElapsedMilliseconds, 90, 5_000);
            Assert.Equal(ChanStatus.Ok, await c.TryWriteAsync(5, 0));
            sw.Restart();
            Assert.Equal(ChanStatus.TimedOut, await c.TryWriteAsync(6, 100));
            Assert.InRange(sw.ElapsedMilliseconds, 90, 5_000);
            var ok = await c.TryReadAsync(0);
            Assert.Equal(new ChanReadResult<int>(ChanStatus.Ok, 5), ok);
        });
    }

    [Fact]
    public async Task Timeouts_BelowMinusOne_ThrowArgumentOutOfRange()
    {
        var c = new Chan<int>(1);
        await CoRun.Sync(() =>
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => c.TryRead(out _, -2));
            Assert.Throws<ArgumentOutOfRangeException>(() => c.TryWrite(1, -2));
        });
        await CoRun.Async(async () =>
        {
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await c.TryReadAsync(-2));
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await c.TryWriteAsync(1, -2));
        });
    }

    [Fact]
    public async Task Close_ReadersDrainBufferedItems_ThenClosed()
    {
        var c = new Chan<int>(5);
        await CoRun.Sync(() =>
        {
            c.Write(1); c.Write(2); c.Write(3);
            c.Close();
            Assert.True(c.IsClosed);
            c.Close(); // idempotent
            Assert.Equal(1, c.Read());
            Assert.Equal(ChanStatus.Ok, c.TryRead(out int two, 0));
            Assert.Equal(2, two);
            Assert.Equal(3, c.Read());
            Assert.Equal(ChanStatus.Closed, c.TryRead(out _, 0));
            Assert.Equal(ChanStatus.Closed, c.TryRead(out _, 100));
            Assert.Equal(ChanStatus.Closed, c.TryRead(out _, -1));
            Assert.Throws<ChanClosedException>(() => c.Read());
        });
    }

    [Fact]
    public async Task Close_WriteAfterClose_ThrowsChanClosed_TryWriteReportsClosed()
    {
        var c = new Chan<int>(2);
        c.Close();
        await CoRun.Sync(() =>
        {
            var e = Assert.Throws<ChanClosedException>(() => c.Write(1));
            Assert.IsAssignableFrom<InvalidOperationException>(e);
            Assert.Equal(ChanStatus.Closed, c.TryWrite(1, 0));
            Assert.Equal(ChanStatus.Closed, c.TryWrite(1, 100));
            Assert.Equal(0, c.Count);
        });
        await CoRun.Async(async () =>
        {
            await Assert.ThrowsAsync<ChanClosedException>(async () => await c.WriteAsync(1));
            Assert.Equal(ChanStatus.Closed, await c.TryWriteAsync(1, 0));
            await Assert.ThrowsAsync<ChanClosedException>(async () => await c.ReadAsync());
            Assert.Equal(ChanStatus.Closed, (await c.TryReadAsync(0)).Status);
        });
    }

    [Fact]
    public async Task Close_WakesBlockedReadersAndWriters()
    {
        var empty = new Chan<int>(1);
        var full = new Chan<int>(1);
        await CoRun.Sync(() => full.Write(1));
        Task syncReader = CoRun.Sync(() => Assert.Throws<ChanClosedException>(() => empty.Read()));
        Task<ChanStatus> tryReader = CoRun.Sync(() => empty.TryRead(out _, -1));
        Task asyncReader = CoRun.Async(async () => await Assert.ThrowsAsync<ChanClosedException>(async () => await empty.ReadAsync()));
        Task<ChanStatus> asyncTryReader = CoRun.Async(async () => (await empty.TryReadAsync(-1)).Status);
        Task syncWriter = CoRun.Sync(() => Assert.Throws<ChanClosedException>(() => full.Write(2)));
        Task<ChanStatus> tryWriter = CoRun.Sync(() => full.TryWrite(3, -1));
        Task asyncWriter = CoRun.Async(async () => await Assert.ThrowsAsync<ChanClosedException>(async () => await full.WriteAsync(4)));
        await Task.Delay(200);
        Assert.False(syncReader.IsCompleted || tryReader.IsCompleted || asyncReader.IsCompleted || asyncTryReader.IsCompleted);
        Assert.False(syncWriter.IsCompleted || tryWriter.IsCompleted || asyncWriter.IsCompleted);
        empty.Close();
        full.Close();
        await CoRun.Bound(Task.WhenAll(syncReader, tryReader, asyncReader, asyncTryReader, syncWriter, tryWriter, asyncWriter),
            TimeSpan.FromSeconds(10), "waiters woken by Close");
        Assert.Equal(ChanStatus.Closed, await tryReader);
        Assert.Equal(ChanStatus.Closed, await asyncTryReader);
        Assert.Equal(ChanStatus.Closed, await tryWriter);
        // the buffered item survives the close; the blocked writes added nothing
        Assert.Equal(1, await CoRun.Sync(full.Read));
        Assert.Equal(ChanStatus.Closed, await CoRun.Sync(() => full.TryRead(out _, 0)));
    }

    [Fact]
    public async Task ReadAsync_Cancellation_ThrowsPromptly_AndDoesNotConsumeALaterItem()
    {
        var c = new Chan<int>(1);
        long ms = await CoRun.Async(async () =>
        {
            using var cts = new CancellationTokenSource(100);
            var sw = Stopwatch.StartNew();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await c.ReadAsync(cts.Token));
            return sw.ElapsedMilliseconds;
        });
        Assert.True(ms < 5_000, $"cancellation took {ms} ms");
        await CoRun.Sync(() => c.Write(42));
        var (status, value) = await CoRun.Sync(() => (c.TryRead(out int v, 1_000), v));
        Assert.Equal(ChanStatus.Ok, status);
        Assert.Equal(42, value);
    }

    [Fact]
    public async Task TryReadAsync_Cancellation_ThrowsPromptly()
    {
        var c = new Chan<int>(1);
        await CoRun.Async(async () =>
        {
            using var cts = new CancellationTokenSource(100);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await c.TryReadAsync(-1, cts.Token));
        }, null, TimeSpan.FromSeconds(10));
        await CoRun.Async(async () =>
        {
            await c.WriteAsync(1);
            Assert.Equal(new ChanReadResult<int>(ChanStatus.Ok, 1), await c.TryReadAsync(1_000));
        });
    }

    [Fact]
    public async Task WriteAsync_Cancellation_ThrowsPromptly_AndWritesNothing()
    {
        var c = new Chan<int>(1);
        await CoRun.Async(async () =>
        {
            await c.WriteAsync(1);
            using var cts = new CancellationTokenSource(100);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await c.WriteAsync(2, cts.Token));
            using var cts2 = new CancellationTokenSource(100);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await c.TryWriteAsync(3, -1, cts2.Token));
            Assert.Equal(1, await c.ReadAsync());
            Assert.Equal(ChanStatus.TimedOut, (await c.TryReadAsync(50)).Status); // 2 and 3 were not written
            await c.WriteAsync(4);
            Assert.Equal(4, await c.ReadAsync());
        }, null, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ManyProducersAndConsumers_AcrossSchedulers_LoseAndDuplicateNothing()
    {
        var c = new Chan<int>(8);
        const int producers = 8, perProducer = 1000, consumers = 8;
        var received = new ConcurrentBag<int>();
        var producersDone = new WaitGroup(producers);
        var consumersDone = new WaitGroup(consumers);
        int errors = 0;
        for (int p = 0; p < producers; p++)
        {
            int basis = p * perProducer;
            if (p % 2 == 0)
                Coroutine.Go(() =>
                {
                    try { for (int i = 0; i < perProducer; i++) c.Write(basis + i); }
                    catch { Interlocked.Increment(ref errors); }
                    finally { producersDone.Done(); }
                });
            else
                Coroutine.Go(async () =>
                {
                    try { for (int i = 0; i < perProducer; i++) await c.WriteAsync(basis + i); }
                    catch { Interlocked.Increment(ref errors); }
                    finally { producersDone.Done(); }
                });
        }
        for (int k = 0; k < consumers; k++)
        {
            if (k % 2 == 0)
                Coroutine.Go(() =>
                {
                    try { while (c.TryRead(out int v, -1) == ChanStatus.Ok) received.Add(v); }
                    catch { Interlocked.Increment(ref errors); }
                    finally { consumersDone.Done(); }
                });
            else
                Coroutine.Go(async () =>
                {
                    try
                    {
                        while (true)
                        {
                            var r = await c.TryReadAsync(-1);
                            if (r.Status != ChanStatus.Ok) break;
                            received.Add(r.Value);
                        }
                    }
                    catch { Interlocked.Increment(ref errors); }
                    finally { consumersDone.Done(); }
                });
        }
        await CoRun.Bound(Task.Run(producersDone.Wait), TimeSpan.FromSeconds(60), "producers");
        c.Close();
        await CoRun.Bound(Task.Run(consumersDone.Wait), TimeSpan.FromSeconds(30), "consumers after close");
        Assert.Equal(0, errors);
        var all = received.ToArray();
        Assert.Equal(producers * perProducer, all.Length);
        Assert.Equal(producers * perProducer, all.Distinct().Count());
        Assert.Equal(Enumerable.Range(0, producers * perProducer), all.OrderBy(x => x));
    }

    [Fact]
    public async Task PerProducerOrder_IsPreserved_WithOneConsumer()
    {
        var c = new Chan<(int P, int I)>(4);
        var last = new int[4];
        Array.Fill(last, -1);
        int outOfOrder = 0;
        for (int p = 0; p < 4; p++)
        {
            int pp = p;
            CoRun.S(p % 2).Go(() => { for (int i = 0; i < 300; i++) c.Write((pp, i)); });
        }
        await CoRun.Async(async () =>
        {
            for (int n = 0; n < 1200; n++)
            {
                var (p, i) = await c.ReadAsync();
                if (i != last[p] + 1) outOfOrder++;
                last[p] = i;
            }
        }, null, TimeSpan.FromSeconds(60));
        Assert.Equal(0, outOfOrder);
        Assert.All(last, l => Assert.Equal(299, l));
    }
}
