using ThirdPartyClients.Native;
using ThirdPartyClients.Servers;

namespace ThirdPartyClients.Clients;

/// <summary>
/// socket/connect/send/recv called straight from libc through P/Invoke: any native library's networking code, with no
/// .NET in between. Only the native layer's detours of those libc functions can park the coroutine here.
/// </summary>
internal sealed class LibcSocketClient(DemoContext context) : IClient
{
    private DelayedEchoServer? _server;

    public string Id => "libc";

    public string Name => "libc connect/send/recv (P/Invoke)";

    public InFlight InFlight => _server!.InFlight;

    public string? Prepare()
    {
        _server = DelayedEchoServer.Start(context.ServerScheduler, context.DelayMs);
        Request(-1);
        return null;
    }

    public void Request(int id)
    {
        int fd = Libc.ConnectTcp(_server!.EndPoint);
        try
        {
            byte[] request = BitConverter.GetBytes(id);
            Libc.SendAll(fd, request);
            Span<byte> reply = stackalloc byte[request.Length];
            Libc.ReceiveAll(fd, reply);
            EchoCheck.Same(request, reply);
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    public void Dispose() => _server?.Dispose();
}
