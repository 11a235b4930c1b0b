using Microsoft.Win32.SafeHandles;
using Co.Hook.Handlers;
using Co.Hook.Managed.Engine;

namespace Co.Hook.Managed.Replacements;

/// <summary>
/// <see cref="WaitHandle"/> waits — WaitOne, WaitAny, WaitAll on events, semaphores, mutexes, and the wait handles of
/// asynchronous results — are runtime calls (the PAL's wait, on Linux). The seams are the private WaitOneNoCheck and
/// WaitMultiple pair: the funnels below them (WaitOneCore, WaitMultipleIgnoringSyncContext) are inlined into ReadyToRun
/// code that a detour would never see. In coroutine code the wait becomes a <see cref="ParkedRetry"/>: tries of the
/// original with a zero timeout on the coroutine's own thread, with parks between them that end when the handle is set
/// or released in this process (<see cref="HandleWaiters"/>: <c>Set</c>, <c>Release</c> and <c>ReleaseMutex</c> are
/// detoured for that), on an interrupt, or after a pause of 1, 2, 4 … 50 ms for what no detour sees (a mutex abandoned
/// by a thread that ended, a named mutex released by another process). Every result is a try of the original's: the
/// index of WaitAny, WaitAll's all-at-once, a mutex acquired by the coroutine's own thread,
/// <see cref="AbandonedMutexException"/>, <see cref="ThreadInterruptedException"/>. Everywhere else, for zero timeouts,
/// and for waits of the runtime's own (System.Threading.Lock's contention, non-interruptible "trivial" waits), it is
/// the original.
/// </summary>
/// <remarks>A woken coroutine competes for an auto-reset event or a semaphore with threads blocked in the runtime and
/// may lose it, then parks again; among waiters the order is not the runtime's.</remarks>
internal static unsafe partial class WaitHandleReplacements
{
    private const int WaitTimeout = 0x102;

    /// <summary>WaitHandleWaitSourceMap.Unknown: a wait of user code (MonitorWait is System.Threading.Lock's).</summary>
    private const byte UnknownWaitSource = 0;

    /// <summary>The private WaitOneNoCheck, which every WaitOne overload reaches (they are virtual, so not detoured).
    /// Its callers inside the runtime — System.Threading.Lock's contention, which names itself as a monitor wait, and
    /// the non-interruptible "trivial" waits — keep the original: they may run inside Co's own code.</summary>
    [ManagedHook(typeof(WaitHandle), "WaitOneNoCheck", Note = "every WaitOne")]
    internal static bool WaitOneNoCheck(
        WaitHandle handle,
        int millisecondsTimeout,
        bool useTrivialWaits,
        object? associatedObject,
        [CoreLibType("System.Diagnostics.Tracing.NativeRuntimeEventSource+WaitHandleWaitSourceMap")] byte waitSource)
    {
        if (millisecondsTimeout == 0 || useTrivialWaits || waitSource != UnknownWaitSource || !BlockingCall.CanDivert())
        {
            using JitGuard.OriginalScope original = JitGuard.EnterOriginal();
            return WaitOneNoCheckOriginal(handle, millisecondsTimeout, useTrivialWaits, associatedObject, waitSource);
        }

        ManagedDivertCounters.Record(ManagedHookId.WaitOneNoCheck);
        return WaitParked([handle], waitAll: false, millisecondsTimeout) != WaitTimeout;
    }

    /// <summary>The private WaitMultiple(ReadOnlySpan&lt;WaitHandle&gt;, bool, int) of WaitAny and WaitAll (the array
    /// overloads reach it through WaitMultiple(WaitHandle[], bool, int), detoured too: crossgen2 may have inlined one
    /// into the other).</summary>
    [ManagedHook(typeof(WaitHandle), "WaitMultiple", Static = true, Note = "WaitAny, WaitAll")]
    internal static int WaitMultipleSpan(ReadOnlySpan<WaitHandle> handles, bool waitAll, int millisecondsTimeout)
    {
        if (millisecondsTimeout == 0 || millisecondsTimeout < Timeout.Infinite || handles.Length == 0 || !BlockingCall.CanDivert())
        {
            using JitGuard.OriginalScope original = JitGuard.EnterOriginal();
            return WaitMultipleSpanOriginal(handles, waitAll, millisecondsTimeout);
        }

        ManagedDivertCounters.Record(ManagedHookId.WaitMultipleSpan);
        return WaitParked(handles.ToArray(), waitAll, millisecondsTimeout);
    }

    /// <summary>The private WaitMultiple(WaitHandle[], bool, int) of WaitAny and WaitAll on arrays.</summary>
    [ManagedHook(typeof(WaitHandle), "WaitMultiple", Static = true, Note = "WaitAny, WaitAll")]
    internal static int WaitMultipleArray(WaitHandle[] handles, bool waitAll, int millisecondsTimeout)
    {
        if (millisecondsTimeout == 0 || millisecondsTimeout < Timeout.Infinite || handles is not { Length: > 0 } || !BlockingCall.CanDivert())
        {
            using JitGuard.OriginalScope original = JitGuard.EnterOriginal();
            return WaitMultipleArrayOriginal(handles!, waitAll, millisecondsTimeout);
        }

        ManagedDivertCounters.Record(ManagedHookId.WaitMultipleArray);
        return WaitParked(handles, waitAll, millisecondsTimeout);
    }

    /// <summary>The static Set(SafeWaitHandle) that EventWaitHandle.Set() calls (whose own prologue is too short to
    /// patch: a call starts at its fifth byte).</summary>
    [ManagedHook(typeof(EventWaitHandle), nameof(EventWaitHandle.Set), Static = true, Note = "EventWaitHandle.Set")]
    internal static bool EventSet(SafeWaitHandle handle)
    {
        bool set;
        using (JitGuard.EnterOriginal())
        {
            set = EventSetOriginal(handle);
        }

        HandleWaiters.Signaled(handle);
        return set;
    }

    [ManagedHook(typeof(Semaphore), "ReleaseCore", Note = "every Semaphore.Release")]
    internal static int SemaphoreRelease(Semaphore semaphore, int releaseCount)
    {
        int previous;
        using (JitGuard.EnterOriginal())
        {
            previous = SemaphoreReleaseOriginal(semaphore, releaseCount);
        }

        HandleWaiters.Signaled(semaphore.SafeWaitHandle);
        return previous;
    }

    [ManagedHook(typeof(Mutex), nameof(Mutex.ReleaseMutex))]
    internal static void MutexRelease(Mutex mutex)
    {
        using (JitGuard.EnterOriginal())
        {
            MutexReleaseOriginal(mutex);
        }

        HandleWaiters.Signaled(mutex.SafeWaitHandle);
    }

    /// <summary>Tries with a zero timeout, parking between tries, until a try succeeds or the time passes; returns the
    /// last try's result (<see cref="WaitTimeout"/> when the time passed). Each try is the original's (which validates
    /// the handles and throws what a wait throws).</summary>
    private static int WaitParked(WaitHandle[] handles, bool waitAll, int millisecondsTimeout)
    {
        int result = WaitTimeout;
        ParkedRetry.Until(() => (result = TryOnce(handles, waitAll)) != WaitTimeout, millisecondsTimeout, KeysOf(handles));
        return result;
    }

    /// <summary>The handles' OS handles, under which signals find the waiter (a disposed or null handle gets no key:
    /// the original's try reports it).</summary>
    private static nint[] KeysOf(WaitHandle[] handles)
    {
        var keys = new nint[handles.Length];
        for (int i = 0; i < handles.Length; i++)
        {
            SafeWaitHandle? safe = handles[i]?.SafeWaitHandle;
            keys[i] = safe is null || safe.IsClosed ? -1 : safe.DangerousGetHandle();
        }

        return keys;
    }

    /// <summary>One zero-timeout wait of the original (it throws a pending interrupt, as every wait of .NET does).</summary>
    private static int TryOnce(WaitHandle[] handles, bool waitAll)
    {
        using JitGuard.OriginalScope original = JitGuard.EnterOriginal();
        return handles.Length == 1 && !waitAll
            ? (WaitOneNoCheckOriginal(handles[0], 0, false, null, UnknownWaitSource) ? 0 : WaitTimeout)
            : WaitMultipleArrayOriginal(handles, waitAll, 0);
    }
}
