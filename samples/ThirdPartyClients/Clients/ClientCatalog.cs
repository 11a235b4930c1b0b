namespace ThirdPartyClients.Clients;

/// <summary>Every client of the demo, in table order: managed ones first, then the native libraries.</summary>
internal static class ClientCatalog
{
    /// <summary>The ids <c>--only</c> accepts, in table order.</summary>
    public static readonly string[] Ids = ["socket", "httpclient", "sslstream", "npgsql", "curl", "libpq", "libc"];

    /// <summary>A new instance of the client <paramref name="id"/>; <paramref name="requests"/> sizes Npgsql's pool so
    /// that the pool is never what serializes it.</summary>
    public static IClient Create(string id, DemoContext context, int requests) => id switch
    {
        "socket" => new SocketClient(context),
        "httpclient" => new HttpClientSendClient(context),
        "sslstream" => new SslStreamClient(context),
        "npgsql" => new NpgsqlClient(context, poolSize: requests),
        "curl" => new CurlClient(context),
        "libpq" => new LibpqClient(context),
        "libc" => new LibcSocketClient(context),
        _ => throw new ArgumentException($"unknown client '{id}' (known: {string.Join(", ", Ids)})"),
    };
}
