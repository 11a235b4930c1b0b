// The hooked server (issue 4): the thread-per-connection server's plain blocking System.Net.Sockets code, run in sync
// coroutines with Co.Hooks enabled. Listening and the per-connection Serve are DotnetModes' own, unchanged; only the
// place they run differs — a sync coroutine instead of a thread — so whatever the two measure apart is the hook layer
// and the scheduler, not the echo code.
using System.Net;
using System.Net.Sockets;
using Co;

namespace EchoServer;

internal static class HookedMode
{
    /// <summary>
    /// The libc functions the blocking Socket calls of this server can reach: Receive (recvmsg, or recv/recvfrom in
    /// other .NET versions), Send (send/sendto/sendmsg), Accept (accept4; accept for completeness) and Dispose (close,
    /// which must drop the poller registration before a descriptor number is reused). If any of them is not hooked,
    /// that call would block the scheduler thread — and with it every other connection of the scheduler — so the
    /// benchmark would measure something else; the server refuses to start instead.
    /// </summary>
    private static readonly string[] s_required =
        ["recvmsg", "recv", "recvfrom", "sendmsg", "send", "sendto", "accept4", "accept", "close"];

    /// <summary>Configures the schedulers (--sched / --no-pin) and enables the hooks before any socket exists (sockets
    /// made earlier would be found by the bitmap rebuild too, but the docs ask for early). False with the reason when a
    /// required function is not hooked.</summary>
    public static bool TryEnableHooks(int schedulers, bool noPin, out string? problem)
    {
        CoModes.Configure(schedulers, noPin);
        Hooks.Enable();
        IReadOnlyDictionary<string, HookStatus> status = Hooks.Status;
        var missing = new List<string>();
        foreach (string name in s_required)
        {
            if (!status.TryGetValue(name, out HookStatus state) || state.State != HookState.Hooked)
            {
                missing.Add($"{name}: {(state.Name is null ? "absent from Co.Hooks.Status" : state.ToString())}");
            }
        }

        if (status.TryGetValue("*", out HookStatus everything))
        {
            missing.Insert(0, everything.ToString());
        }

        problem = missing.Count == 0
            ? null
            : "blocking Socket calls would block the scheduler thread; not hooked: " + string.Join("; ", missing);
        return problem is null;
    }

    /// <summary>Listens (as <c>threads</c> does) and starts the accept loop in a sync coroutine.</summary>
    public static string? Start(IPEndPoint endPoint)
    {
        if (!DotnetModes.TryListen(endPoint, "hooked", out Socket? listener, out string? error))
        {
            return error;
        }

        Coroutine.Go(AcceptLoop, listener);
        return null;
    }

    /// <summary>
    /// The threads server's accept loop with one difference: each connection's <see cref="DotnetModes.Serve"/> goes to
    /// a sync coroutine instead of a new thread. The blocking <c>listener.Accept()</c> parks only this coroutine (the
    /// accept4 hook waits on the runtime's poller). After an accept error it sleeps with <see cref="Coroutine.Sleep"/>:
    /// Thread.Sleep comes from the .NET runtime's own code, which the sleep hooks leave alone, so it would stall the
    /// scheduler thread.
    /// </summary>
    private static void AcceptLoop(Socket listener)
    {
        while (true)
        {
            Socket client;
            try
            {
                client = listener.Accept();
            }
            catch (SocketException e)
            {
                Program.NoteError("accept", e.Message);
                Coroutine.Sleep(1);
                continue;
            }

            Interlocked.Increment(ref Program.Accepted);
            client.NoDelay = true;
            Coroutine.Go<object?>(DotnetModes.Serve, client);
        }
    }
}
