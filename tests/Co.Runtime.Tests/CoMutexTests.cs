using System.Diagnostics;
using Xunit;

namespace Co.Tests;

/// <summary>co::Mutex / co::MutexGuard.</summary>
public class CoMutexTests
{
    [Fact]
    public void TryLock_Unlock_IsLocked()
    {
        var m = new CoMutex();
        Assert.False(m.IsLocked);
        Assert.True(m.TryLock());
        Assert.True(m.IsLocked);
        Assert.False(m.TryLock());
        m.Unlock();
        Assert.False(m.IsLocked);
        Assert.True(m.TryLock());
        m.Unlock();
    }

    [Fact]
    public void Unlock_OfUnlockedMutex_ThrowsSynchronizationLockException()
    {
        var m = new CoMutex();
        Assert.Throws<SynchronizationLockException>(() => m.Unlock());
        m.Lock();
        m.Unlock();
        Assert.Throws<SynchronizationLockException>(() => m.Unlock());
        Assert.False(m.IsLocked);
        Assert.True(m.TryLock()); // state not corrupted by the failed unlock
        m.Unlock();
    }

    [Fact]
    public async Task TryLock_InCoroutine_FailsWhileHeldElsewhere()
    {
        var m = new CoMutex();
        m.Lock(); // plain thread holds it
        Assert.False(await CoRun.Sync(m.TryLock));
        Assert.False(await CoRun.Async(async () => { await Coroutine.YieldAsync(); return m.TryLock(); }));
        m.Unlock();
        Assert.True(await CoRun.Sync(() => { bool ok = m.TryLock(); m.Unlock(); return ok; }));
    }

    [Fact]
    public async Task Lock_BlocksCoroutineUntilUnlock_WithoutBlockingItsScheduler()
    {
        var m = new CoMutex();
        var s = CoRun.S(0);
        m.Lock();
        int acquired = 0;
        Task waiter = CoRun.Sync(() => { m.Lock(); Interlocked.Exchange(ref acquired, 1); m.Unlock(); }, s);
        await Task.Delay(100);
        Assert.Equal(0, Volatile.Read(ref acquired));
        // the scheduler still runs other coroutines while the waiter is parked on the mutex
        await CoRun.Sync(() => { }, s, TimeSpan.FromSeconds(10));
        m.Unlock();
        await waiter;
        Assert.Equal(1, acquired);
        Assert.False(m.IsLocked);
    }

    [Fact]
    public async Task LockAsync_InAsyncCoroutine_WaitsForUnlock()
    {
        var m = new CoMutex();
        await CoRun.Sync(m.Lock);
        int acquired = 0;
        Task waiter = CoRun.Async(async () => { await m.LockAsync(); Interlocked.Exchange(ref acquired, 1); m.Unlock(); });
        await Task.Delay(100);
        Assert.Equal(0, Volatile.Read(ref acquired));
        await CoRun.Sync(m.Unlock);
        await waiter;
        Assert.Equal(1, acquired);
        Assert.False(m.IsLocked);
    }

    /// <summary>200 sync + 200 async coroutines x 100 non-atomic increments under the lock, with
    /// Yield/Sleep inside the lock now and then: the count must be exact and nobody may hang.</summary>
    [Fact]
    public async Task Contention_SyncAndAsyncCoroutines_NoLostWakeups_ExactCount()
    {
        var m = new CoMutex();
        const int syncCount = 200, asyncCount = 200, iters = 100;
        long counter = 0;
        int inside = 0, overlaps = 0, errors = 0;
        var wg = new WaitGroup(syncCount + asyncCount);

        void Body(int who, int i)
        {
            if (Interlocked.Increment(ref inside) != 1) Interlocked.Increment(ref overlaps);
            long v = counter;
            if (i % 25 == 0) Thread.SpinWait(100);
            counter = v + 1;
            Interlocked.Decrement(ref inside);
        }

        for (int c = 0; c < syncCount; c++)
        {
            int who = c;
            Coroutine.Go(() =>
            {
                try
                {
                    for (int i = 0; i < iters; i++)
                    {
                        m.Lock();
                        try
                        {
                            Body(who, i);
                            if (i % 10 == 3) Coroutine.Yield();
                            else if (who % 8 == 0 && i % 50 == 7) Coroutine.Sleep(who % 16 == 0 ? 1 : 0);
                        }
                        finally { m.Unlock(); }
                    }
                }
                catch { Interlocked.Increment(ref errors); }
                finally { wg.Done(); }
            });
        }
        for (int c = 0; c < asyncCount; c++)
        {
            int who = syncCount + c;
            Coroutine.Go(async () =>
            {
                try
                {
                    for (int i = 0; i < iters; i++)
                    {
                        await m.LockAsync();
                        try
                        {
                            Body(who, i);
                            if (i % 10 == 3) await Coroutine.YieldAsync();
                            else if (who % 8 == 0 && i % 50 == 7) await Coroutine.SleepAsync(who % 16 == 0 ? 1 : 0);
                        }
                        finally { m.Unlock(); }
                    }
                }
                catch { Interlocked.Increment(ref errors); }
                finally { wg.Done(); }
            });
        }
        await CoRun.Bound(Task.Run(wg.Wait), TimeSpan.FromSeconds(90), "mutex contention (lost wake-up?)");
        Assert.Equal(0, errors);
        Assert.Equal(0, overlaps);
        Assert.Equal((long)(syncCount + asyncCount) * iters, counter);
        Assert.False(m.IsLocked);
    }

    [Fact]
    public async Task Contention_ThreadsAndCoroutines_Mixed()
    {
        var m = new CoMutex();
        long counter = 0;
        const int iters = 500;
        var tasks = new List<Task>();
        for (int t = 0; t < 3; t++)
            tasks.Add(CoRun.Thread(() => { for (int i = 0; i < iters; i++) { m.Lock(); long v = counter; Thread.SpinWait(20); counter = v + 1; m.Unlock(); } }, TimeSpan.FromSeconds(60)));
        for (int c = 0; c < 10; c++)
        {
            tasks.Add(CoRun.Sync(() => { for (int i = 0; i < iters; i++) { m.Lock(); long v = counter; if (i % 20 == 0) Coroutine.Yield(); counter = v + 1; m.Unlock(); } }, null, TimeSpan.FromSeconds(60)));
            tasks.Add(CoRun.Async(async () => { for (int i = 0; i < iters; i++) { await m.LockAsync(); long v = counter; if (i % 20 == 0) await Coroutine.YieldAsync(); counter = v + 1; m.Unlock(); } }, null, TimeSpan.FromSeconds(60)));
        }
        await Task.WhenAll(tasks);
        Assert.Equal(23L * iters, counter);
        Assert.False(m.IsLocked);
    }

    [Fact]
    public async Task LockAsync_Cancellation_ThrowsPromptly_AndMutexStaysUsable()
    {
        var m = new CoMutex();
        m.Lock(); // held by this plain thread
        long ms = await CoRun.Async(async () =>
        {
            using var cts = new CancellationTokenSource(100);
            var sw = Stopwatch.StartNew();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await m.LockAsync(cts.Token));
            return sw.ElapsedMilliseconds;
        });
        Assert.True(ms < 5_000, $"cancellation took {ms} ms");
        Assert.True(m.IsLocked); // still ours
        m.Unlock();
        // The cancelled waiter did not get the hand-off.
        Assert.False(m.IsLocked);
        Assert.True(m.TryLock());
        m.Unlock();
        await CoRun.Async(async () => { await m.LockAsync(); m.Unlock(); });
        await CoRun.Sync(() => { m.Lock(); m.Unlock(); });
        Assert.False(m.IsLocked);
    }

    [Fact]
    public async Task LockAsync_AlreadyCancelledToken_WhileContended_ThrowsAndDoesNotAcquire()
    {
        var m = new CoMutex();
        m.Lock();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await CoRun.Async(async () =>
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await m.LockAsync(cts.Token));
        }, null, TimeSpan.FromSeconds(10));
        m.Unlock();
        Assert.False(m.IsLocked);
        Assert.True(m.TryLock());
        m.Unlock();
    }

    /// <summary>Cancellation racing the hand-off: a waiter whose LockAsync threw must never own the mutex.</summary>
    [Fact]
    public async Task LockAsync_CancellationRacingUnlock_CancelledWaiterNeverOwns()
    {
        var m = new CoMutex();
        int acquiredCount = 0, cancelledCount = 0;
        for (int round = 0; round < 200; round++)
        {
            var holderHasIt = new Event(manualReset: true);
            var release = new Event(manualReset: true);
            Task holder = CoRun.Sync(() =>
            {
                m.Lock();
                holderHasIt.Signal();
                release.Wait();
                m.Unlock();
            }, CoRun.S(round % 2));
            Assert.True(await CoRun.Thread(() => holderHasIt.Wait(10_000)));
            using var cts = new CancellationTokenSource();
            Task<bool> waiter = CoRun.Async(async () =>
            {
                try
                {
                    await m.LockAsync(cts.Token);
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
                await Coroutine.YieldAsync();
                m.Unlock();
                return true;
            }, CoRun.S((round + 1) % 2));
            await Task.Delay(2);
            // Cancel and release at (nearly) the same moment, in alternating order.
            if (round % 2 == 0) { cts.Cancel(); release.Signal(); }
            else { release.Signal(); cts.Cancel(); }
            await holder;
            bool got = await waiter;
            if (got) acquiredCount++; else cancelledCount++;
            Assert.True(await CoRun.Until(() => !m.IsLocked, 2_000),
                $"round {round}: mutex left locked after the holder unlocked and the waiter {(got ? "unlocked" : "was cancelled")}");
        }
        Assert.True(m.TryLock());
        m.Unlock();
        Assert.Equal(200, acquiredCount + cancelledCount);
    }

    [Fact]
    public async Task FifoHandOff_WaitersAcquireInArrivalOrder()
    {
        var m = new CoMutex();
        var order = new List<int>();
        var s = CoRun.S(0);
        m.Lock();
        var tasks = new List<Task>();
        for (int i = 0; i < 10; i++)
        {
            int k = i;
            tasks.Add(CoRun.Sync(() => { m.Lock(); order.Add(k); m.Unlock(); }, s));
            await Task.Delay(20); // each waiter queued before the next one arrives
        }
        m.Unlock();
        await Task.WhenAll(tasks);
        Assert.Equal(Enumerable.Range(0, 10), order);
    }

    /// <summary>Dispose is idempotent (the .NET rule): a second Dispose of a guard, or the Dispose of a copy, must not
    /// release the mutex again — by then it may be someone else's. Also across a hand-off to a waiting coroutine.</summary>
    [Fact]
    public async Task MutexGuard_DisposedTwice_NeverReleasesAnotherHoldersLock()
    {
        var m = new CoMutex();
        var guard = new MutexGuard(m);
        MutexGuard copy = guard;
        guard.Dispose();
        Assert.False(m.IsLocked);
        Assert.True(m.TryLock()); // someone else holds it now
        guard.Dispose();
        copy.Dispose();
        Assert.True(m.IsLocked);
        m.Unlock();

        // Handed off: the first guard's holder unlocks while a coroutine waits, so the mutex goes straight to it.
        var first = new MutexGuard(m);
        var waiterHolds = new Event(manualReset: true);
        var release = new Event(manualReset: true);
        Task waiter = CoRun.Sync(() =>
        {
            using var mine = new MutexGuard(m);
            waiterHolds.Signal();
            release.Wait();
        });
        await Task.Delay(50); // the waiter is queued on the mutex
        first.Dispose();
        Assert.True(await CoRun.Thread(() => waiterHolds.Wait(5_000)));
        first.Dispose(); // the waiter's hold now: a repeated Dispose must leave it alone
        Assert.True(m.IsLocked);
        release.Signal();
        await CoRun.Bound(waiter, "the waiter's guard");
        Assert.False(m.IsLocked);
    }

    [Fact]
    public async Task MutexGuard_LocksAndUnlocks()
    {
        var m = new CoMutex();
        await CoRun.Sync(() =>
        {
            using (var g = new MutexGuard(m))
            {
                Assert.True(m.IsLocked);
                Assert.False(m.TryLock());
            }
            Assert.False(m.IsLocked);
        });
        using (new MutexGuard(m)) // plain thread
        {
            Assert.True(m.IsLocked);
        }
        Assert.False(m.IsLocked);
    }

    // Seed example:
    //   co::Mutex mtx; int v = 0;
    //   void f1() { co::MutexGuard g(mtx); ++v; }
    //   void f2() { co::MutexGuard g(mtx); --v; }
    //   go(f1); go(f2);
    [Fact]
    public async Task SeedExample_MutexGuard()
    {
        var mtx = new CoMutex();
        int v = 0;
        var wg = new WaitGroup(200);
        void F1() { using var g = new MutexGuard(mtx); int x = v; Coroutine.Yield(); v = x + 1; wg.Done(); }
        void F2() { using var g = new MutexGuard(mtx); int x = v; Coroutine.Yield(); v = x - 1; wg.Done(); }
        Coroutine.Go(F1);
        Coroutine.Go(F2);
        for (int i = 0; i < 99; i++) { Coroutine.Go(F1); Coroutine.Go(F2); }
        await CoRun.Thread(wg.Wait);
        Assert.Equal(0, v);
        Assert.False(mtx.IsLocked);
    }

    [Fact]
    public async Task SeedExample_MutexGuard_Increments()
    {
        var mtx = new CoMutex();
        int v = 0;
        var wg = new WaitGroup(100);
        for (int i = 0; i < 100; i++)
            Coroutine.Go(() => { using var g = new MutexGuard(mtx); int x = v; Coroutine.Sleep(0); v = x + 1; wg.Done(); });
        await CoRun.Thread(wg.Wait);
        Assert.Equal(100, v);
    }
}
