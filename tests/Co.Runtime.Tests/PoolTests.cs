using System.Collections.Concurrent;
using Xunit;

namespace Co.Tests;

/// <summary>co::Pool / co::PoolGuard: per-scheduler storage, coroutine-only.</summary>
public class PoolTests
{
    private sealed class Item
    {
        private static int s_next;
        public int N { get; } = Interlocked.Increment(ref s_next);
        public override string ToString() => "Item#" + N;
    }

    [Fact]
    public async Task Pop_EmptyWithoutCreate_ReturnsNull_PushThenPop_ReturnsSameItem()
    {
        var p = new Pool<Item>();
        await CoRun.Sync(() =>
        {
            Assert.Equal(0, p.Size);
            Assert.Null(p.Pop());
            var it = new Item();
            p.Push(it);
            Assert.Equal(1, p.Size);
            Assert.Same(it, p.Pop());
            Assert.Equal(0, p.Size);
            Assert.Null(p.Pop());
        }, CoRun.S(0));
    }

    [Fact]
    public async Task Pop_EmptyWithCreate_CallsCreate()
    {
        int created = 0;
        var p = new Pool<Item>(() => { Interlocked.Increment(ref created); return new Item(); }, null);
        await CoRun.Sync(() =>
        {
            var a = p.Pop();
            Assert.NotNull(a);
            Assert.Equal(1, created);
            p.Push(a);
            Assert.Same(a, p.Pop()); // stored items come first, create not called
            Assert.Equal(1, created);
            Assert.NotNull(p.Pop());
            Assert.Equal(2, created);
        });
    }

    [Fact]
    public async Task Push_Null_IsIgnored()
    {
        var p = new Pool<Item>();
        await CoRun.Sync(() =>
        {
            p.Push(null);
            Assert.Equal(0, p.Size);
            p.Push(new Item());
            p.Push(null);
            Assert.Equal(1, p.Size);
        });
    }

    [Fact]
    public async Task Storage_IsPerScheduler()
    {
        var p = new Pool<Item>();
        var it = new Item();
        await CoRun.Sync(() => { p.Push(it); Assert.Equal(1, p.Size); }, CoRun.S(0));
        await CoRun.Sync(() =>
        {
            Assert.Equal(0, p.Size);
            Assert.Null(p.Pop());
        }, CoRun.S(1));
        await CoRun.Async(async () =>
        {
            await Coroutine.YieldAsync();
            Assert.Equal(0, p.Size);
            Assert.Null(p.Pop());
        }, CoRun.S(1));
        var back = await CoRun.Async(async () =>
        {
            await Coroutine.SleepAsync(1);
            Assert.Equal(1, p.Size);
            return p.Pop();
        }, CoRun.S(0));
        Assert.Same(it, back);
    }

    [Fact]
    public async Task Capacity_WithDestroy_SurplusIsDestroyed()
    {
        var destroyed = new ConcurrentQueue<Item>();
        var p = new Pool<Item>(() => new Item(), destroyed.Enqueue, capacity: 2);
        var items = Enumerable.Range(0, 5).Select(_ => new Item()).ToArray();
        await CoRun.Sync(() =>
        {
            foreach (var it in items) p.Push(it);
            Assert.Equal(2, p.Size);
        }, CoRun.S(0));
        Assert.Equal(3, destroyed.Count);
        Assert.Equal(items.Skip(2), destroyed); // the items pushed over capacity were destroyed
        // capacity is per scheduler: the other scheduler still takes 2
        await CoRun.Sync(() =>
        {
            p.Push(new Item());
            p.Push(new Item());
            Assert.Equal(2, p.Size);
        }, CoRun.S(1));
        Assert.Equal(3, destroyed.Count);
    }

    [Fact]
    public async Task Capacity_WithoutDestroy_IsIgnored()
    {
        var p = new Pool<Item>(() => new Item(), null, capacity: 2);
        await CoRun.Sync(() =>
        {
            for (int i = 0; i < 5; i++) p.Push(new Item());
            Assert.Equal(5, p.Size);
        });
    }

    [Fact]
    public async Task Clear_DestroysThisSchedulersItemsOnly()
    {
        var destroyed = new ConcurrentQueue<Item>();
        var p = new Pool<Item>(null, destroyed.Enqueue);
        var a = new Item();
        var b = new Item();
        var c = new Item();
        await CoRun.Sync(() => { p.Push(a); p.Push(b); }, CoRun.S(0));
        await CoRun.Sync(() => p.Push(c), CoRun.S(1));
        await CoRun.Sync(() => { p.Clear(); Assert.Equal(0, p.Size); }, CoRun.S(0));
        Assert.Equal(new[] { a, b }.OrderBy(x => x.N), destroyed.OrderBy(x => x.N));
        Assert.Equal(1, await CoRun.Sync(() => p.Size, CoRun.S(1)));
    }

    [Fact]
    public async Task Clear_WithoutDestroy_JustEmpties()
    {
        var p = new Pool<Item>();
        await CoRun.Sync(() => { p.Push(new Item()); p.Push(new Item()); p.Clear(); Assert.Equal(0, p.Size); Assert.Null(p.Pop()); });
    }

    [Fact]
    public async Task PoolGuard_Value_DisposePushesBack_Once()
    {
        int created = 0;
        var p = new Pool<Item>(() => { created++; return new Item(); }, null);
        await CoRun.Sync(() =>
        {
            var g = new PoolGuard<Item>(p);
            Assert.True(g.HasValue);
            Assert.NotNull(g.Value);
            Assert.Equal(1, created);
            Assert.Equal(0, p.Size);
            var v = g.Value;
            g.Dispose();
            Assert.Equal(1, p.Size);
            g.Dispose(); // once
            Assert.Equal(1, p.Size);
            using (var g2 = new PoolGuard<Item>(p))
            {
                Assert.Same(v, g2.Value); // reused, not created
                Assert.Equal(0, p.Size);
            }
            Assert.Equal(1, p.Size);
            Assert.Equal(1, created);
        });
    }

    [Fact]
    public async Task PoolGuard_EmptyPoolWithoutCreate_HasNoValue()
    {
        var p = new Pool<Item>();
        await CoRun.Sync(() =>
        {
            using (var g = new PoolGuard<Item>(p))
            {
                Assert.False(g.HasValue);
                Assert.Null(g.Value);
            }
            Assert.Equal(0, p.Size); // nothing to push back
        });
    }

    [Fact]
    public async Task PoolGuard_Reset_ReplacesValue_OldOneDestroyed()
    {
        var destroyed = new ConcurrentQueue<Item>();
        var p = new Pool<Item>(() => new Item(), destroyed.Enqueue);
        await CoRun.Sync(() =>
        {
            var g = new PoolGuard<Item>(p);
            var old = g.Value!;
            var fresh = new Item();
            g.Reset(fresh);
            Assert.Same(fresh, g.Value);
            Assert.Equal(new[] { old }, destroyed);
            g.Dispose();
            Assert.Equal(1, p.Size);
            Assert.Same(fresh, p.Pop());

            var g2 = new PoolGuard<Item>(p);
            var v2 = g2.Value!;
            g2.Reset(); // null
            Assert.False(g2.HasValue);
            Assert.Null(g2.Value);
            Assert.Contains(v2, destroyed);
            g2.Dispose();
            Assert.Equal(0, p.Size); // null is not pushed
        });
    }

    [Fact]
    public async Task PoolGuard_Reset_WithoutDestroy_DropsOldValue()
    {
        var p = new Pool<Item>(() => new Item(), null);
        await CoRun.Sync(() =>
        {
            var g = new PoolGuard<Item>(p);
            var fresh = new Item();
            g.Reset(fresh);
            Assert.Same(fresh, g.Value);
            g.Dispose();
            Assert.Equal(1, p.Size);
            Assert.Same(fresh, p.Pop());
        });
    }

    [Fact]
    public async Task Pool_InAsyncCoroutine_SameStorageAcrossAwaits()
    {
        var p = new Pool<Item>();
        var it = new Item();
        await CoRun.Async(async () =>
        {
            p.Push(it);
            await Coroutine.SleepAsync(5);
            await Task.Delay(5);
            Assert.Equal(1, p.Size);
            Assert.Same(it, p.Pop());
        }, CoRun.S(1));
    }

    [Fact]
    public async Task Pool_ManyCoroutines_NoLockNeeded_NoItemDuplicated()
    {
        int created = 0;
        var p = new Pool<Item>(() => { Interlocked.Increment(ref created); return new Item(); }, null);
        var inUse = new ConcurrentDictionary<int, int>();
        int duplicates = 0;
        var wg = new WaitGroup(200);
        for (int i = 0; i < 200; i++)
        {
            if (i % 2 == 0)
            {
                Coroutine.Go(() =>
                {
                    for (int k = 0; k < 20; k++)
                    {
                        var item = p.Pop()!;
                        if (!inUse.TryAdd(item.N, 0)) Interlocked.Increment(ref duplicates);
                        Coroutine.Yield();
                        inUse.TryRemove(item.N, out _);
                        p.Push(item);
                    }
                    wg.Done();
                });
            }
            else
            {
                Coroutine.Go(async () =>
                {
                    for (int k = 0; k < 20; k++)
                    {
                        using var g = new PoolGuard<Item>(p);
                        if (!inUse.TryAdd(g.Value!.N, 0)) Interlocked.Increment(ref duplicates);
                        await Coroutine.YieldAsync();
                        inUse.TryRemove(g.Value!.N, out _);
                    }
                    wg.Done();
                });
            }
        }
        await CoRun.Thread(wg.Wait);
        Assert.Equal(0, duplicates);
        Assert.True(created <= 200, $"{created} items created for 200 coroutines");
    }

    [Fact]
    public void CallsOutsideCoroutine_ThrowInvalidOperation()
    {
        var p = new Pool<Item>(() => new Item(), _ => { });
        AssertMisuse(() => p.Pop());
        AssertMisuse(() => p.Push(new Item()));
        AssertMisuse(() => _ = p.Size);
        AssertMisuse(() => p.Clear());
        AssertMisuse(() => new PoolGuard<Item>(p).Dispose());
    }

    [Fact]
    public async Task CallsOnPlainThread_ThrowInvalidOperation()
    {
        var p = new Pool<Item>();
        await CoRun.Thread(() =>
        {
            AssertMisuse(() => p.Pop());
            AssertMisuse(() => p.Push(new Item()));
        });
    }

    private static void AssertMisuse(Action a)
    {
        var e = Assert.Throws<InvalidOperationException>(a);
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
        Assert.Contains("coroutine", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    // Seed example (pool without callbacks):
    //   co::Pool p;
    //   void f() { Redis* rds = (Redis*) p.pop(); if (rds == NULL) rds = new Redis; rds->get("xx"); p.push(rds); }
    //   go(f);
    private sealed class Redis
    {
        public static int Instances;
        public Redis() => Interlocked.Increment(ref Instances);
        public string Get(string key) => "value-of-" + key;
    }

    [Fact]
    public async Task SeedExample_PoolWithoutCallbacks()
    {
        var p = new Pool<Redis>();
        int before = Volatile.Read(ref Redis.Instances);
        string? got = null;
        void F()
        {
            var rds = p.Pop();
            rds ??= new Redis();
            got = rds.Get("xx");
            p.Push(rds);
        }
        var s = CoRun.S(1);
        await CoRun.Sync(F, s);
        await CoRun.Sync(F, s); // reuses the pooled connection
        Assert.Equal("value-of-xx", got);
        Assert.Equal(1, Volatile.Read(ref Redis.Instances) - before);
        Assert.Equal(1, await CoRun.Sync(() => p.Size, s));
    }

    // Seed example (PoolGuard):
    //   co::Pool p([]() { return (void*) new Redis; }, [](void* p) { delete (Redis*) p; });
    //   void f() { co::PoolGuard<Redis> rds(p); rds->get("xx"); }
    //   go(f);
    [Fact]
    public async Task SeedExample_PoolGuard()
    {
        int created = 0, destroyedCount = 0;
        var p = new Pool<Redis>(() => { created++; return new Redis(); }, _ => destroyedCount++);
        string? got = null;
        void F()
        {
            using var rds = new PoolGuard<Redis>(p);
            got = rds.Value!.Get("xx");
        }
        var s = CoRun.S(0);
        await CoRun.Sync(F, s);
        await CoRun.Sync(F, s);
        Assert.Equal("value-of-xx", got);
        Assert.Equal(1, created);
        Assert.Equal(0, destroyedCount);
        Assert.Equal(1, await CoRun.Sync(() => p.Size, s));
    }

    // Seed example (constructor with capacity): co::Pool p(ccb, dcb, 1024);
    [Fact]
    public async Task SeedExample_PoolWithCapacity()
    {
        int destroyed = 0;
        var p = new Pool<Item>(() => new Item(), _ => Interlocked.Increment(ref destroyed), 1024);
        await CoRun.Sync(() =>
        {
            var items = Enumerable.Range(0, 1030).Select(_ => p.Pop()!).ToList();
            foreach (var it in items) p.Push(it);
            Assert.Equal(1024, p.Size);
        });
        Assert.Equal(6, destroyed);
    }
}
