// The code examples of co's coroutine documentation, written with Co for .NET and run one after another.
// Each section prints what it shows; the whole run takes a few seconds.
using System.Diagnostics;
using Co;

Section("go: the forms of co::go");
{
    var wg = new WaitGroup(4);
    var o = new T(wg);
    Coroutine.Go(() => F(wg));          // go(f)
    Coroutine.Go(G, (wg, 7));            // go(g, 7)
    Coroutine.Go(o.F);                   // go(&T::f, &o)
    Coroutine.Go(o.G, 3);                // go(&T::g, &o, 3)
    wg.Wait();
}

Section("print scheduler id and coroutine id (3 rounds, 300 ms apart)");
{
    var wg = new WaitGroup(8);
    for (int i = 0; i < 8; i++)
    {
        Coroutine.Go(() =>
        {
            for (int round = 0; round < 3; round++)
            {
                Console.WriteLine($"  s: {Coroutine.SchedulerId} c: {Coroutine.Id}");
                Coroutine.Sleep(300);
            }

            wg.Done();
        });
    }

    wg.Wait();
}

Section("co::Event: f1 waits 100 ms for f2's signal");
{
    var ev = new Event();
    var done = new WaitGroup(2);
    int v = 0;
    Coroutine.Go(() =>
    {
        ev.Wait(100);
        if (v == 2) v = 1;
        done.Done();
    });
    Coroutine.Go(() =>
    {
        v = 2;
        ev.Signal();
        done.Done();
    });
    done.Wait();
    Console.WriteLine($"  v = {v} (1 if f1 saw f2's signal, 2 if f1 timed out first)");
}

Section("co::WaitGroup: wait for 8 coroutines");
{
    var wg = new WaitGroup();
    for (int i = 0; i < 8; i++)
    {
        wg.Add();
        Coroutine.Go(() =>
        {
            Console.WriteLine($"  co: {Coroutine.Id}");
            wg.Done();
        });
    }

    wg.Wait();
    Console.WriteLine("  wg wait end..");
}

Section("co::Mutex + MutexGuard: 1000 increments and 1000 decrements");
{
    var mtx = new CoMutex();
    int v = 0;
    var wg = new WaitGroup(2000);
    for (int i = 0; i < 1000; i++)
    {
        Coroutine.Go(() => { using (new MutexGuard(mtx)) { ++v; } wg.Done(); });
        Coroutine.Go(() => { using (new MutexGuard(mtx)) { --v; } wg.Done(); });
    }

    wg.Wait();
    Console.WriteLine($"  v = {v}");
}

Section("co::Pool + PoolGuard: a connection pool, one per scheduler");
{
    int created = 0;
    var pool = new Pool<Redis>(() => new Redis(Interlocked.Increment(ref created)), r => r.Close(), 1024);
    var wg = new WaitGroup(100);
    for (int i = 0; i < 100; i++)
    {
        Coroutine.Go(() =>
        {
            for (int request = 0; request < 5; request++)
            {
                using (var rds = new PoolGuard<Redis>(pool))
                {
                    rds.Value!.Get("xx");
                }

                Coroutine.Sleep(10);
            }

            wg.Done();
        });
    }

    wg.Wait();
    Console.WriteLine($"  100 coroutines made 500 requests over {created} connection(s): each scheduler reuses its own");
}

Section("the point of it all: 10,000 async and 2,000 sync coroutines each sleep 200 ms");
{
    var sw = Stopwatch.StartNew();
    var wg = new WaitGroup(12_000);
    for (int i = 0; i < 10_000; i++)
    {
        Coroutine.Go(async () => { await Coroutine.SleepAsync(200); wg.Done(); });
    }

    for (int i = 0; i < 2_000; i++)
    {
        // Sync coroutines keep a thread while parked: 2,000 at a time is plenty for a demo.
        Coroutine.Go(() => { Coroutine.Sleep(200); wg.Done(); });
    }

    wg.Wait();
    Console.WriteLine($"  12,000 coroutines × 200 ms of sleep finished in {sw.ElapsedMilliseconds} ms on {Coroutine.SchedulerCount} schedulers");
}

Console.WriteLine();
Console.WriteLine("All of co's coroutine examples ran.");

static void Section(string title)
{
    Console.WriteLine();
    Console.WriteLine($"== {title}");
}

static void F(WaitGroup wg)
{
    Console.WriteLine($"  f() in coroutine {Coroutine.Id}");
    wg.Done();
}

static void G((WaitGroup Wg, int N) p)
{
    Console.WriteLine($"  g({p.N}) in coroutine {Coroutine.Id}");
    p.Wg.Done();
}

internal sealed class T(WaitGroup wg)
{
    public void F()
    {
        Console.WriteLine($"  T::f() in coroutine {Coroutine.Id}");
        wg.Done();
    }

    public void G(int n)
    {
        Console.WriteLine($"  T::g({n}) in coroutine {Coroutine.Id}");
        wg.Done();
    }
}

internal sealed class Redis(int id)
{
    public void Get(string key) => _ = key.Length + id;

    public void Close()
    {
    }
}
