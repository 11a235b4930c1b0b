using System.Net;
using Co.Testing;
using static Co.TestHost.ScenarioSupport;

namespace Co.TestHost;

/// <summary>Running out of descriptors (EMFILE) under a lowered RLIMIT_NOFILE, in a process of its own.</summary>
internal static class DescriptorLimitScenario
{
    private const int Emfile = 24;

    // ---------------------------------------------------------------------------------------------------
    // No arguments.
    //   Warms every path it uses (one accepted connection end to end), then lowers the soft RLIMIT_NOFILE to the open
    //   descriptors plus a few and takes sockets until Sock.TcpSocket fails. With every descriptor taken, a client
    //   connection that the kernel has already queued on the listener makes Sock.Accept (sync coroutine) and
    //   Sock.AcceptAsync fail with EMFILE instead of waiting or crashing; after one descriptor is freed each accept takes
    //   its queued connection, and the bytes the client sent before are all there. Then every hog is closed and
    //   sockets can be made again. Prints
    //   `RESULT socket_error=.. accept_error=.. accept_async_error=.. recovered_bytes=.. recovered_async_bytes=.. after=..`.
    // ---------------------------------------------------------------------------------------------------
    [Scenario("descriptor-limit")]
    internal static void DescriptorLimit(string[] args)
    {
        nint listener = Sock.TcpSocket();
        if (listener < 0 || Sock.Bind(listener, new IPEndPoint(IPAddress.Loopback, 0)) != 0 || Sock.Listen(listener, 16) != 0)
        {
            throw Fail($"listener: errno {Sock.Error()}");
        }

        IPEndPoint endPoint = Sock.LocalEndPoint(listener) ?? throw Fail("no listener address");
        byte[] payload = "queued while out of descriptors"u8.ToArray();
        if (!RunSyncBounded(() => WarmUpSync(listener, endPoint, payload))
            || !RunAsyncBounded(async () => await TransferOnce(listener, endPoint, payload)))
        {
            throw Fail("the warm-up transfers hung");
        }

        string socketError = "none", acceptError = "none", acceptAsyncError = "none";
        int recovered = -1, recoveredAsync = -1;
        var hogs = new List<nint>();
        long limit = SockHostNative.LowerFdLimit(SockHostNative.OpenFdCeiling() + 64); // room for the runtime's own meanwhile
        Console.Out.WriteLine($"RESULT fd_limit={limit}");
        try
        {
            if (!RunSyncBounded(() =>
            {
                // Both clients connect while descriptors remain; the kernel completes their handshakes and queues them.
                nint first = Client(endPoint, payload);
                nint second = Client(endPoint, payload);
                nint hog;
                while ((hog = Sock.TcpSocket()) >= 0)
                {
                    hogs.Add(hog);
                }

                socketError = Sock.Error().ToString(System.Globalization.CultureInfo.InvariantCulture);
                acceptError = AcceptOutcome(Sock.Accept(listener));
                Free(hogs);
                recovered = ReceiveAll(Sock.Accept(listener), payload.Length);

                while ((hog = Sock.TcpSocket()) >= 0)
                {
                    hogs.Add(hog);
                }

                Sock.Close(first);
                hogs.Add(Sock.TcpSocket()); // the descriptor just freed: none left again
                _ = second;
            }))
            {
                throw Fail("the sync accept under EMFILE hung");
            }

            if (!RunAsyncBounded(async () =>
            {
                acceptAsyncError = AcceptOutcome(await Sock.AcceptAsync(listener));
                Free(hogs);
                nint accepted = await Sock.AcceptAsync(listener);
                recoveredAsync = accepted < 0 ? -1 : await ReceiveAllAsync(accepted, payload.Length);
            }))
            {
                throw Fail("the async accept under EMFILE hung");
            }
        }
        finally
        {
            foreach (nint hog in hogs)
            {
                Sock.Close(hog);
            }
        }

        nint after = Sock.TcpSocket();
        Console.Out.WriteLine($"RESULT socket_error={socketError} accept_error={acceptError} accept_async_error={acceptAsyncError} " +
                              $"recovered_bytes={recovered} recovered_async_bytes={recoveredAsync} after={(after >= 0 ? "ok" : Sock.Error().ToString(System.Globalization.CultureInfo.InvariantCulture))}");
        Sock.Close(after);
        Sock.Close(listener);

        string AcceptOutcome(nint accepted)
        {
            if (accepted >= 0)
            {
                Sock.Close(accepted);
                return "accepted";
            }

            return Sock.Error() == Emfile ? "EMFILE" : Sock.Error().ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        static void Free(List<nint> hogs)
        {
            if (hogs.Count == 0)
            {
                throw Fail("no socket could be taken before the limit: the process used its headroom elsewhere");
            }

            Sock.Close(hogs[^1]);
            hogs.RemoveAt(hogs.Count - 1);
        }
    }

    /// <summary>A client connected to <paramref name="endPoint"/> that has sent <paramref name="payload"/>.</summary>
    private static nint Client(IPEndPoint endPoint, byte[] payload)
    {
        nint client = Sock.TcpSocket();
        if (client < 0 || Sock.Connect(client, endPoint, 10_000) != 0 || Sock.Send(client, payload, 10_000) != payload.Length)
        {
            throw Fail($"client: errno {Sock.Error()}");
        }

        return client;
    }

    private static int ReceiveAll(nint fd, int length)
    {
        if (fd < 0)
        {
            return -1;
        }

        var buffer = new byte[length];
        int got = Sock.RecvN(fd, buffer, 10_000);
        Sock.Close(fd);
        return got;
    }

    private static async Task<int> ReceiveAllAsync(nint fd, int length)
    {
        var buffer = new byte[length];
        int got = await Sock.RecvNAsync(fd, buffer, 10_000);
        Sock.Close(fd);
        return got;
    }

    /// <summary>As <see cref="TransferOnce"/>, through the sync calls.</summary>
    private static void WarmUpSync(nint listener, IPEndPoint endPoint, byte[] payload)
    {
        nint client = Client(endPoint, payload);
        if (ReceiveAll(Sock.Accept(listener), payload.Length) != payload.Length)
        {
            throw Fail($"warm-up sync accept: errno {Sock.Error()}");
        }

        Sock.Close(client);
    }

    /// <summary>One connection accepted and received through, so nothing the scenario calls loads code later.</summary>
    private static async Task TransferOnce(nint listener, IPEndPoint endPoint, byte[] payload)
    {
        nint client = Sock.TcpSocket();
        if (await Sock.ConnectAsync(client, endPoint, 10_000) != 0 || await Sock.SendAsync(client, payload, 10_000) != payload.Length)
        {
            throw Fail($"warm-up client: errno {Sock.Error()}");
        }

        nint accepted = await Sock.AcceptAsync(listener);
        if (accepted < 0 || await ReceiveAllAsync(accepted, payload.Length) != payload.Length)
        {
            throw Fail($"warm-up accept: errno {Sock.Error()}");
        }

        Sock.Close(client);
    }
}
