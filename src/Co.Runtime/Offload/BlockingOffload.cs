using System.Diagnostics;
using Co.Scheduling;
using Co.Waiting;

namespace Co.Offload;

/// <summary>
/// Threads the runtime owns for blocking calls that have nothing to wait for readiness on — name resolution is the
/// first user — so that a coroutine making one parks (its scheduler goes on) while one of these threads makes the call.
/// Nothing here knows what the call is; the hook layer supplies it (<see cref="IOffloadedCall"/>).
/// <para>
/// Why not the thread pool: a blocked call holds its thread for the call's whole duration, and the pool adds threads
/// beyond its minimum only every few hundred milliseconds, so N concurrent half-second lookups took seconds there.
/// Here a call that finds no idle thread starts one at once, up to <see cref="ThreadLimit"/>: N concurrent calls take
/// about as long as one, up to the limit; past it, calls queue (first come, first served) for the next free thread.
/// </para>
/// <para>
/// State, all under <see cref="_lock"/>: the queue of calls no thread has taken; <see cref="_threads"/> started and not
/// retired; <see cref="_idle"/> of them waiting for a call (a thread pulsed for a call but not yet running still counts
/// as idle, and the call it was pulsed for is still queued); <see cref="_busy"/> of them making a call. A thread's life:
/// started (counted in <see cref="_threads"/> before it runs) → takes calls, idle between them → retires when it has
/// waited <see cref="IdleTimeout"/> with the queue empty. A new call starts a thread when the queue holds more calls
/// than there are idle threads to take them, so every queued call has a thread coming, or — at the limit — a busy
/// thread that will take it next. If the OS refuses a thread and no offload thread is left, the caller makes its call
/// itself, on its scheduler thread, as it would with no offload at all.
/// </para>
/// <para>
/// Offload threads run no coroutine code: they are not scheduler threads, so the hook gates' per-thread flags word is
/// absent there and a hooked function called by the call goes straight to the original.
/// </para>
/// </summary>
internal sealed class BlockingOffload
{
    /// <summary>How many offload threads <see cref="Shared"/> runs at most: concurrent lookups beyond it queue.</summary>
    public const int DefaultThreadLimit = 64;

    /// <summary>How long an idle thread of <see cref="Shared"/> waits for a call before it exits.</summary>
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Monitor rather than System.Threading.Lock: idle threads wait on it for a call (Monitor.Wait/Pulse).</summary>
    private readonly object _lock = new();

    private readonly LinkedList<OffloadRequest> _queue = new();
    private readonly string _threadName;
    private int _threads;
    private int _idle;
    private int _busy;

    /// <summary>Creates an offload with its own threads.</summary>
    /// <param name="threadLimit">The most threads it runs at once, at least 1.</param>
    /// <param name="idleTimeout">How long an idle thread waits for a call before it exits (positive).</param>
    /// <param name="threadName">The name its threads carry (in a debugger, /proc/…/task/…/comm).</param>
    public BlockingOffload(int threadLimit, TimeSpan idleTimeout, string threadName)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threadLimit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(idleTimeout, TimeSpan.Zero);
        ThreadLimit = threadLimit;
        IdleTimeout = idleTimeout;
        _threadName = threadName;
    }

    /// <summary>The process's offload, which the hook layer's resolver handlers use.</summary>
    public static BlockingOffload Shared { get; } = new(DefaultThreadLimit, DefaultIdleTimeout, "Co offload");

    /// <summary>The most threads this offload runs at once.</summary>
    public int ThreadLimit { get; }

    /// <summary>How long an idle thread waits for a call before it exits.</summary>
    public TimeSpan IdleTimeout { get; }

    /// <summary>Threads started and not yet retired.</summary>
    public int ThreadCount => Volatile.Read(ref _threads);

    /// <summary>Threads making a call now.</summary>
    public int BusyCount => Volatile.Read(ref _busy);

    /// <summary>Calls waiting for a thread (only past <see cref="ThreadLimit"/>, or for the moment a thread starts).</summary>
    public int QueuedCount
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>
    /// Makes <paramref name="call"/> on an offload thread while the calling coroutine parks, and returns when the call
    /// has returned (rethrowing what it threw). <paramref name="reason"/> is what <see cref="Coroutine.Dump"/> says the
    /// coroutine waits on. On a thread that is not running coroutine code the call is made right there: blocking that
    /// thread is what the call does anyway.
    /// </summary>
    public void Run(IOffloadedCall call, WaitReason reason)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(reason);
        if (Worker.Current is not { Running: not null } worker)
        {
            call.Run();
            return;
        }

        WaitNode node = Waits.SyncNode(worker);
        var request = new OffloadRequest(call, node, node.Arm(reason));
        bool startThread;
        lock (_lock)
        {
            request.QueueEntry = _queue.AddLast(request);
            Monitor.Pulse(_lock); // an idle thread, if any, takes it
            startThread = _queue.Count > _idle && _threads < ThreadLimit;
            if (startThread)
            {
                _threads++;
            }
        }

        if (startThread && !TryStartThread() && TakeBackIfNoThreadLeft(request))
        {
            request.Execute(); // the OS refused a thread and none is left to take it: block the scheduler thread instead
        }

        Waits.Block(node, Timeout.Infinite);
        request.ThrowIfFailed();
    }

    /// <summary>Starts a thread counted in <see cref="_threads"/> already; false (and the count is the caller's to
    /// undo) when the OS refuses one — at a thread or memory limit.</summary>
    private bool TryStartThread()
    {
        try
        {
            new Thread(Serve) { IsBackground = true, Name = _threadName }.Start();
            return true;
        }
        catch (Exception failure) when (failure is OutOfMemoryException or ThreadStartException)
        {
            return false;
        }
    }

    /// <summary>After a thread failed to start: uncounts it, and if no offload thread is left to take
    /// <paramref name="request"/>, takes it out of the queue for the caller to run (true).</summary>
    private bool TakeBackIfNoThreadLeft(OffloadRequest request)
    {
        lock (_lock)
        {
            _threads--;
            if (_threads > 0 || request.QueueEntry is not { } entry)
            {
                return false;
            }

            _queue.Remove(entry);
            request.QueueEntry = null;
            return true;
        }
    }

    /// <summary>An offload thread: takes queued calls one at a time until it has been idle for <see cref="IdleTimeout"/>.</summary>
    private void Serve()
    {
        bool finishedCall = false;
        while (true)
        {
            OffloadRequest request;
            lock (_lock)
            {
                if (finishedCall)
                {
                    _busy--;
                }

                while (_queue.First is null)
                {
                    _idle++;
                    bool pulsed = Monitor.Wait(_lock, IdleTimeout);
                    _idle--;
                    if (!pulsed && _queue.First is null)
                    {
                        _threads--;
                        AssertCounts();
                        return;
                    }
                }

                request = _queue.First.Value;
                _queue.RemoveFirst();
                request.QueueEntry = null;
                _busy++;
                AssertCounts();
            }

            request.Execute();
            finishedCall = true;
        }
    }

    /// <summary>Debug builds, under the lock: no more threads than the limit, and no more idle or busy than exist.</summary>
    [Conditional("DEBUG")]
    private void AssertCounts()
    {
        Debug.Assert(_threads >= 0 && _threads <= ThreadLimit, $"{_threads} offload threads, limit {ThreadLimit}");
        Debug.Assert(_idle >= 0 && _busy >= 0 && _idle + _busy <= _threads, $"{_idle} idle + {_busy} busy > {_threads} threads");
    }
}
