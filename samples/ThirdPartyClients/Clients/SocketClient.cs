using System.Net.Sockets;
using ThirdPartyClients.Servers;

namespace ThirdPartyClients.Clients;

/// <summary>
/// <see cref="Socket"/>'s synchronous Connect/Send/Receive on a blocking socket: the classic thread-per-connection code.
/// The socket stays blocking underneath, so its waits reach libc (connect, sendmsg, recvmsg), where the native layer
/// parks the coroutine.
/// </summary>
internal sealed class SocketClient(DemoContext context) : IClient
{
    private DelayedEchoServer? _server;

    public string Id => "socket";

    public string Name => "Socket Connect/Send/Receive";

    public InFlight InFlight => _server!.InFlight;

    public string? Prepare()
    {
        _server = DelayedEchoServer.Start(context.ServerScheduler, context.DelayMs);
        Request(-1);
        return null;
    }

    public void Request(int id)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Connect(_server!.EndPoint);
        byte[] request = BitConverter.GetBytes(id);
        socket.Send(request);
        var reply = new byte[request.Length];
        for (int got = 0; got < reply.Length;)
        {
            int n = socket.Receive(reply, got, reply.Length - got, SocketFlags.None);
            got += n > 0 ? n : throw new IOException("the server closed the connection early");
        }

        EchoCheck.Same(request, reply);
    }

    public void Dispose() => _server?.Dispose();
}
