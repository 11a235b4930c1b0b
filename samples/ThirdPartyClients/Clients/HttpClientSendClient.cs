using System.Text;
using ThirdPartyClients.Servers;

namespace ThirdPartyClients.Clients;

/// <summary>
/// <see cref="HttpClient.Send(HttpRequestMessage, HttpCompletionOption)"/>, the synchronous API, with one shared
/// client. SocketsHttpHandler connects asynchronously (so its sockets are non-blocking underneath and a sync Receive
/// waits inside the runtime, not in libc) and waits for that connection with a sync-over-async Task wait: the managed
/// layer's detours of the Socket funnels and of that wait are what park the coroutine.
/// </summary>
internal sealed class HttpClientSendClient(DemoContext context) : IClient
{
    private DelayingHttpServer? _server;
    private HttpClient? _client;

    public string Id => "httpclient";

    public string Name => "HttpClient.Send (sync)";

    public InFlight InFlight => _server!.InFlight;

    public string? Prepare()
    {
        _server = DelayingHttpServer.Start(context.ServerScheduler, context.DelayMs);
        _client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue }) { Timeout = TimeSpan.FromSeconds(30) };
        Request(-1);
        return null;
    }

    public void Request(int id)
    {
        string path = $"/client-{id}";
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{_server!.Port}{path}");
        using HttpResponseMessage response = _client!.Send(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(response.Content.ReadAsStream(), Encoding.ASCII);
        string body = reader.ReadToEnd();
        if (!response.IsSuccessStatusCode || body != DelayingHttpServer.BodyFor(path))
        {
            throw new InvalidDataException($"{path}: HTTP {(int)response.StatusCode}, body '{body}'");
        }
    }

    public void Dispose()
    {
        _client?.Dispose();
        _server?.Dispose();
    }
}
