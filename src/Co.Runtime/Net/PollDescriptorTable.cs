using System.Diagnostics;
using System.Runtime.InteropServices;
using Co.Waiting;

namespace Co.Net;

/// <summary>
/// The process-wide map from descriptor number to <see cref="PollDescriptor"/>, and the sink of every scheduler's
/// poller. A descriptor is registered with the poller of the scheduler that first waits on it and stays registered
/// until <see cref="Forget"/> (Sock.Close); coroutines of other schedulers may wait on it too — the registering
/// scheduler claims them and their own schedulers resume them.
/// </summary>
/// <remarks>Lookups are lock-free reads of a growable array; creation, verification and removal take a lock. Tokens
/// carry a generation so an event for a descriptor that was closed and whose number was reused is recognised and
/// dropped. Invariant: every epoll_ctl that writes a token (registration, verification) runs under the lock for the
/// entry the table holds at that moment, so a live entry's token is the one its registration carries — an event with
/// any other token is stale and may be dropped without losing a wake-up.</remarks>
internal sealed class PollDescriptorTable : Platform.IReadinessSink
{
    internal static readonly PollDescriptorTable Instance = new();

    private readonly Lock _lock = new();
    private PollDescriptor?[] _byFd = new PollDescriptor?[1024];
    private uint _generation;

    /// <summary>The descriptor of <paramref name="fd"/>, registering it with <paramref name="scheduler"/>'s poller on
    /// first use; null with the errno when it cannot be polled.</summary>
    internal PollDescriptor? GetOrRegister(int fd, Scheduler scheduler, out int error)
    {
        error = 0;
        if (Find(fd) is { } existing)
        {
            return existing;
        }

        lock (_lock)
        {
            return Find(fd) ?? RegisterLocked(fd, scheduler, out error);
        }
    }

    /// <summary>
    /// As <see cref="GetOrRegister"/>, but first checks that a known descriptor is still registered — for callers that
    /// cannot know whether the socket was closed behind the runtime's back (hook handlers: a library may close its
    /// sockets from any thread). A stale entry (the number was closed and reused) is forgotten and registered afresh.
    /// Costs one epoll_ctl (Windows: one getsockopt), made under the table's lock together with what it decides: the check re-writes the
    /// registration's token (epoll has no read-only query), so made outside the lock with an entry read before a
    /// concurrent re-registration of the number it would put the stale token back on the new registration — whose
    /// events the table then drops, leaving the new entry's waiters asleep for good on a ready socket — and the
    /// forget that follows a failed check would remove the entry another thread had just registered for the new
    /// socket, waking its waiters with a false EBADF. Under the lock the check and the forget both act on the entry
    /// the table holds at that moment, whose token is the one its registration carries.
    /// </summary>
    internal PollDescriptor? GetOrRegisterVerified(int fd, Scheduler scheduler, out int error)
    {
        PollDescriptor? stale;
        PollDescriptor? descriptor;
        lock (_lock)
        {
            PollDescriptor? known = Find(fd);
            if (known is not null && known.RegisteredWith.IsStillRegistered(fd, known.Token))
            {
                error = 0;
                return known;
            }

            stale = known is null ? null : RemoveLocked(fd);
            descriptor = RegisterLocked(fd, scheduler, out error);
        }

        stale?.Close(); // after the lock, as Forget: waking may park a thread the blocked-scheduler monitor detached
        return descriptor;
    }

    /// <summary>
    /// For a descriptor number just returned by socket() or accept(): any entry under that number belongs to a socket
    /// that was closed without <see cref="Forget"/> (a close on a plain thread, a library's own close), and the kernel
    /// dropped its epoll registration with it; forget it (waking its waiters with EBADF) so the new socket registers
    /// afresh rather than waiting on a registration that no longer exists. Costs one array read when there is none.
    /// </summary>
    internal void ForgetStale(int fd)
    {
        if (Find(fd) is not null)
        {
            Forget(fd);
        }
    }

    /// <summary>
    /// Forgets <paramref name="fd"/>'s descriptor and closes the number with <paramref name="close"/> under the table's
    /// lock, then wakes the descriptor's waiters (they report EBADF). A coroutine that misses the forgotten entry
    /// registers the number afresh under that lock too, so it registers either before the forget (and is woken by it)
    /// or after the close (and its registration fails with EBADF, or finds the new socket of a reused number) — never
    /// in between, where the kernel would drop the fresh registration along with the closed descriptor and leave its
    /// waiter asleep for good. The descriptor is marked closed before the number is released, so a waiter that still
    /// holds it never retries on a reused number; the waiters are woken after the lock is released, since waking may
    /// park a thread the blocked-scheduler monitor detached until it rejoins its scheduler. The lock is held across
    /// close(2), which returns at once for a socket unless SO_LINGER makes it wait. With the hooks on, Sock.Close's
    /// own close(2) reaches the hooked close and this method again, on the same thread: the lock is reentrant, and the
    /// inner call finds the number already forgotten.
    /// </summary>
    /// <returns>close's result; <paramref name="error"/> is its errno (0 on success), read straight after the call.</returns>
    internal int ForgetAndClose(int fd, Func<int, int> close, out int error)
    {
        (WaitNode?, WaitNode?) claimed = default;
        int result;
        lock (_lock)
        {
            if (RemoveLocked(fd) is { } descriptor)
            {
                claimed = descriptor.MarkClosed();
            }

            result = close(fd);
            error = result == 0 ? 0 : Marshal.GetLastSystemError();
        }

        DuplexWaitLists.DispatchBoth(claimed);
        return result;
    }

    /// <summary>Removes <paramref name="fd"/>'s descriptor and wakes its waiters: for a number whose socket is already
    /// closed (see <see cref="ForgetStale"/>); a socket still open is closed with <see cref="ForgetAndClose"/>.</summary>
    internal void Forget(int fd)
    {
        PollDescriptor? descriptor;
        lock (_lock)
        {
            descriptor = RemoveLocked(fd);
        }

        descriptor?.Close();
    }

    /// <summary>Registers <paramref name="fd"/>, which has no entry, with <paramref name="scheduler"/>'s poller under a
    /// new token and publishes its descriptor; null with the errno when it cannot be polled. Under <see cref="_lock"/>,
    /// as every change of a registration's token is, so an entry's token is always the one its registration carries.</summary>
    private PollDescriptor? RegisterLocked(int fd, Scheduler scheduler, out int error)
    {
        Debug.Assert(_lock.IsHeldByCurrentThread, "registrations change only under the table's lock");
        Debug.Assert(Find(fd) is null, "a number is registered afresh only without an entry");
        if (fd < 0)
        {
            error = Platform.SocketCodes.BadDescriptor;
            return null;
        }

        // Released before the registration: a sink that sees this generation may find the entry unpublished yet.
        uint generation = _generation + 1;
        Volatile.Write(ref _generation, generation);
        ulong token = ((ulong)generation << 32) | (uint)fd;
        error = scheduler.RegisterWithPoller(fd, token, out Platform.IPollRegistration? registration);
        if (error != 0)
        {
            return null;
        }

        var descriptor = new PollDescriptor(fd, token, scheduler, registration);
        PollDescriptor?[] table = _byFd;
        if (fd >= table.Length)
        {
            Array.Resize(ref table, Math.Max(fd + 1, table.Length * 2));
            Volatile.Write(ref _byFd, table);
        }

        Volatile.Write(ref table[fd], descriptor);
        return descriptor;
    }

    /// <summary>Takes <paramref name="fd"/>'s descriptor out of the table, under <see cref="_lock"/>; null if none.</summary>
    private PollDescriptor? RemoveLocked(int fd)
    {
        Debug.Assert(_lock.IsHeldByCurrentThread, "the table's entries change only under its lock");
        PollDescriptor? descriptor = Find(fd);
        if (descriptor is not null)
        {
            Volatile.Write(ref _byFd[fd], null);
        }

        return descriptor;
    }

    /// <summary>
    /// Delivers an event to its descriptor, or drops it if the token is stale (the descriptor was forgotten). An event
    /// can also come before its descriptor is published: the poller reports readiness as soon as
    /// <see cref="GetOrRegister"/> has registered the number, and a thread other than the registering one may be
    /// polling that poller then (the readiness monitor, for a busy holder; the new holder, while a coroutine the
    /// blocked-scheduler monitor detached registers). Such an event carries the latest generation, read before the
    /// lookup: it is looked up again under the lock, which the registration holds until the entry is published. A token
    /// of an older generation whose entry is missing was registered and published before that read, so it is stale.
    /// The lookup under the lock is rare (a miss of the latest generation) but may wait for a close that lingers
    /// (<see cref="ForgetAndClose"/> holds the lock across close(2)).
    /// </summary>
    public void OnReady(ulong token, bool readable, bool writable, bool hungUp)
    {
        int fd = (int)(uint)token;
        uint latestGeneration = Volatile.Read(ref _generation);
        PollDescriptor? descriptor = Find(fd);
        if (descriptor?.Token != token && (uint)(token >> 32) == latestGeneration)
        {
            lock (_lock)
            {
                descriptor = Find(fd);
            }
        }

        if (descriptor is not null && descriptor.Token == token)
        {
            descriptor.OnReady(readable, writable, hungUp);
        }
    }

    /// <summary>The registered descriptor of <paramref name="fd"/>, or null.</summary>
    internal PollDescriptor? Find(int fd)
    {
        PollDescriptor?[] table = Volatile.Read(ref _byFd);
        return (uint)fd < (uint)table.Length ? Volatile.Read(ref table[fd]) : null;
    }
}
