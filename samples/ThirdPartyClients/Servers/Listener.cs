using System.Net;
using Co;

namespace ThirdPartyClients.Servers;

/// <summary>The listening socket the coroutine servers share: loopback only, on a port the kernel picks.</summary>
internal static class Listener
{
    /// <summary>A listening TCP socket on 127.0.0.1 (a free port); throws with errno's text if any step fails.</summary>
    public static nint OnLoopback()
    {
        nint listener = Sock.TcpSocket();
        if (listener < 0)
        {
            throw new InvalidOperationException($"socket: {Sock.StrError()}");
        }

        if (Sock.Bind(listener, new IPEndPoint(IPAddress.Loopback, 0)) != 0 || Sock.Listen(listener, 1024) != 0)
        {
            string error = Sock.StrError();
            Sock.Close(listener);
            throw new InvalidOperationException($"bind/listen on 127.0.0.1: {error}");
        }

        return listener;
    }
}
