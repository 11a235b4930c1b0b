using Co.Scheduling;
using Co.Waiting;

namespace Co;

/// <summary>
/// Go's <c>select</c> over channels: waits until one of several channel operations can complete, performs exactly that
/// one, runs its handler and reports which case fired — or gives up after a timeout.
/// <code>
/// int fired = new Select()
///     .Recv(numbers, n => sum += n)
///     .Recv(quit, (_, ok) => done = true)
///     .Send(results, sum, () => sent++)
///     .Timeout(100)
///     .Run();                          // 0, 1 or 2; Select.TimedOut (-1) after 100 ms
/// </code>
/// </summary>
/// <remarks>
/// <para>As in Go: when several cases are ready, one is picked at random, so no channel starves the others; a receive
/// on a closed, drained channel is ready (its handler gets ok = false); a send on a closed channel fires and throws
/// <see cref="ChanClosedException"/>; with no timeout and no case that can ever fire, the wait never ends.
/// <c>Timeout(0)</c> is Go's <c>default</c> case: only ready cases can fire.</para>
/// <para>Only the case that fires touches its channel: the others neither take an item nor buffer one. While the select
/// waits it is enlisted on every channel; the first channel to wake it wins, and a wake-up another channel spent on it
/// is passed on to that channel's next waiter, so no value is lost or duplicated.</para>
/// <para><see cref="Run"/> waits as the other primitives do: a sync coroutine parks, a plain thread blocks.
/// <see cref="RunAsync"/> is for async coroutines (and Task code). A <see cref="Select"/> may run many times, but one
/// run at a time; build a select per coroutine.</para>
/// </remarks>
public sealed class Select
{
    /// <summary>What <see cref="Run"/> and <see cref="RunAsync"/> return when the timeout passed first.</summary>
    public const int TimedOut = -1;

    private readonly List<SelectCase> _cases = [];
    private int _timeoutMs = System.Threading.Timeout.Infinite;
    private int _running;

    /// <summary>The number of cases added.</summary>
    public int Count => _cases.Count;

    /// <summary>Adds a receive case; <paramref name="onReceive"/> gets the item (default when the channel is closed and
    /// drained, which also fires the case).</summary>
    /// <returns>This select, to chain cases.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="chan"/> is null.</exception>
    public Select Recv<T>(Chan<T> chan, Action<T>? onReceive = null)
    {
        ArgumentNullException.ThrowIfNull(chan);
        return Add(new RecvCase<T>(chan, onReceive is null ? null : (item, _) => onReceive(item)));
    }

    /// <summary>Adds a receive case whose handler also gets Go's <c>ok</c>: false when the case fired because the
    /// channel is closed and drained.</summary>
    /// <returns>This select, to chain cases.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="chan"/> or <paramref name="onReceive"/> is null.</exception>
    public Select Recv<T>(Chan<T> chan, Action<T, bool> onReceive)
    {
        ArgumentNullException.ThrowIfNull(chan);
        ArgumentNullException.ThrowIfNull(onReceive);
        return Add(new RecvCase<T>(chan, onReceive));
    }

    /// <summary>Adds a send case: <paramref name="item"/> is written only if this case fires, then
    /// <paramref name="onSent"/> runs.</summary>
    /// <returns>This select, to chain cases.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="chan"/> is null.</exception>
    public Select Send<T>(Chan<T> chan, T item, Action? onSent = null)
    {
        ArgumentNullException.ThrowIfNull(chan);
        return Add(new SendCase<T>(chan, item, onSent));
    }

    /// <summary>Sets the longest wait in milliseconds: -1 (the default) waits for ever, 0 only takes a ready case
    /// (Go's <c>default</c>).</summary>
    /// <returns>This select.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ms"/> is less than -1.</exception>
    public Select Timeout(int ms)
    {
        Waits.ValidateTimeout(ms, nameof(ms));
        _timeoutMs = ms;
        return this;
    }

    /// <summary>Waits until a case fires or the timeout passes, runs the handler of the case that fired (on the
    /// calling thread) and returns its index, in the order the cases were added; <see cref="TimedOut"/> on timeout. In
    /// a coroutine only the coroutine waits; on a plain thread the thread blocks.</summary>
    /// <exception cref="ChanClosedException">The send case that fired has a closed channel.</exception>
    /// <exception cref="InvalidOperationException">This select is already running.</exception>
    public int Run()
    {
        BeginRun();
        try
        {
            int fired = Wait();
            if (fired != TimedOut)
            {
                _cases[fired].Deliver();
            }

            return fired;
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    /// <summary>The async form of <see cref="Run"/>: in an async coroutine, suspends the coroutine rather than parking
    /// its thread. The handler runs where the await resumes (in a coroutine, on its scheduler).</summary>
    /// <exception cref="ChanClosedException">The send case that fired has a closed channel (from the await).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (from the
    /// await); no case fired.</exception>
    /// <exception cref="InvalidOperationException">This select is already running.</exception>
    public async ValueTask<int> RunAsync(CancellationToken cancellationToken = default)
    {
        BeginRun();
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            int fired = await WaitAsync(cancellationToken).ConfigureAwait(false);
            if (fired != TimedOut)
            {
                _cases[fired].Deliver();
            }

            return fired;
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    private Select Add(SelectCase selectCase)
    {
        if (Volatile.Read(ref _running) != 0)
        {
            throw new InvalidOperationException("Cases cannot be added while the select runs.");
        }

        _cases.Add(selectCase);
        return this;
    }

    private void BeginRun()
    {
        if (Interlocked.Exchange(ref _running, 1) != 0)
        {
            throw new InvalidOperationException("This select is already running; a Select runs one wait at a time.");
        }
    }

    /// <summary>Tries every case, in random order (Go's choice among ready cases); the index of the one that fired, or
    /// <see cref="TimedOut"/> when none was ready.</summary>
    private int Poll()
    {
        int count = _cases.Count;
        Span<int> order = count <= 64 ? stackalloc int[count] : new int[count];
        for (int i = 0; i < count; i++)
        {
            order[i] = i;
        }

        Random.Shared.Shuffle(order);
        foreach (int index in order)
        {
            if (_cases[index].TryFire())
            {
                return index;
            }
        }

        return TimedOut;
    }

    /// <summary>Enlists a case node for <paramref name="target"/>'s current wait on every channel; stops early, with
    /// fewer than all enlisted, when a case turned out to be ready.</summary>
    private int EnlistAll(WaitNode target, int version, SelectCaseNode[] caseNodes)
    {
        for (int i = 0; i < _cases.Count; i++)
        {
            caseNodes[i] = new SelectCaseNode(target, version);
            if (_cases[i].Enlist(caseNodes[i]))
            {
                return i;
            }
        }

        return _cases.Count;
    }

    private void WithdrawAll(SelectCaseNode[] caseNodes, int enlisted)
    {
        for (int i = 0; i < enlisted; i++)
        {
            _cases[i].Withdraw(caseNodes[i]);
        }
    }

    /// <summary>Poll, then enlist and park until a channel changes, then poll again — a woken select may find its case
    /// taken by someone else (items are not handed over, they wait in the buffer), so it only ever retries.</summary>
    private int Wait()
    {
        long deadline = _timeoutMs < 0 ? long.MaxValue : Clock.DeadlineAfter(_timeoutMs);
        var caseNodes = new SelectCaseNode[_cases.Count];
        while (true)
        {
            int fired = Poll();
            int remaining = Clock.MsUntil(deadline);
            if (fired != TimedOut || remaining == 0)
            {
                return fired;
            }

            WaitNode node = Waits.SyncNode();
            int version = node.Arm(WaitReason.Select);
            int enlisted = EnlistAll(node, version, caseNodes);
            if (enlisted == _cases.Count)
            {
                Waits.Block(node, remaining);
            }
            else if (node.TryClaim(version, WaitOutcome.Signaled))
            {
                // A case became ready while enlisting and no channel has claimed the wait: end it without parking.
                node.ReleaseClaimSources();
            }
            else
            {
                // A channel claimed the wait first; its resume is on the way and must be consumed.
                Waits.Block(node, System.Threading.Timeout.Infinite);
            }

            WithdrawAll(caseNodes, enlisted);
        }
    }

    /// <summary>The async counterpart of <see cref="Wait"/>, on an async wait node.</summary>
    private async ValueTask<int> WaitAsync(CancellationToken cancellationToken)
    {
        long deadline = _timeoutMs < 0 ? long.MaxValue : Clock.DeadlineAfter(_timeoutMs);
        var caseNodes = new SelectCaseNode[_cases.Count];
        while (true)
        {
            int fired = Poll();
            int remaining = Clock.MsUntil(deadline);
            if (fired != TimedOut || remaining == 0)
            {
                return fired;
            }

            AsyncWaitNode node = Waits.AsyncNode();
            short token = node.ArmAsync(null);
            int version = node.Version;
            int enlisted = EnlistAll(node, version, caseNodes);
            if (enlisted == _cases.Count)
            {
                node.StartLimits(remaining, cancellationToken);
            }
            else if (node.TryClaim(version, WaitOutcome.Signaled))
            {
                // Ready while enlisting: complete the wait ourselves; awaiting it below recycles the node.
                node.Dispatch();
            }

            try
            {
                await new ValueTask<bool>(node, token).ConfigureAwait(false);
            }
            finally
            {
                WithdrawAll(caseNodes, enlisted);
            }
        }
    }
}
