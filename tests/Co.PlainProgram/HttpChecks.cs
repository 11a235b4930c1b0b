using System.Net;
using System.Net.Sockets;
using System.Text;

/// <summary>Synchronous <see cref="HttpClient.Send(HttpRequestMessage)"/> against a raw HTTP/1.1 responder on a
/// <see cref="LoopbackServer"/>: its sync path connects, writes and reads with blocking Socket calls.</summary>
internal static class HttpChecks
{
    private const int Requests = 3;
    private const int MaxHeadBytes = 16 * 1024;

    /// <summary>Three GETs, each answered on a connection of its own with a body naming the request line.</summary>
    public static void Send()
    {
        using var server = new LoopbackServer(Requests, connection =>
        {
            string requestLine = ReadHead(connection).Split("\r\n")[0];
            string body = requestLine[..requestLine.LastIndexOf(' ')];
            connection.Send(Encoding.ASCII.GetBytes(
                $"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"));
        });
        using (HttpClient client = NewClient(TimeSpan.FromSeconds(30)))
        {
            for (int i = 0; i < Requests; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{server.EndPoint}/request-{i}");
                using HttpResponseMessage response = client.Send(request);
                using var reader = new StreamReader(response.Content.ReadAsStream());
                string body = reader.ReadToEnd();
                Expect.True(response.StatusCode == HttpStatusCode.OK && body == $"GET /request-{i}",
                    $"request {i}: {(int)response.StatusCode} \"{body}\"");
            }
        }

        server.Finish();
    }

    /// <summary>A server that reads the request and never answers: Send must give up at the client's 300 ms Timeout
    /// with a TaskCanceledException caused by a TimeoutException, and close the connection.</summary>
    public static void Timeout()
    {
        const int timeoutMilliseconds = 300;
        using var server = new LoopbackServer(1, connection =>
        {
            ReadHead(connection);
            LoopbackServer.ReceiveUntilClosed(connection, 0);
        });
        using (HttpClient client = NewClient(TimeSpan.FromMilliseconds(timeoutMilliseconds)))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{server.EndPoint}/never-answered");
            TaskCanceledException canceled = null!;
            Expect.Lasts(timeoutMilliseconds, () => canceled = Expect.Throws<TaskCanceledException>(() => client.Send(request), "Send to a server that never answers"), "HttpClient.Timeout");
            Expect.True(canceled.InnerException is TimeoutException, $"the timeout's cause was {canceled.InnerException}, not a TimeoutException");
        }

        server.Finish();
    }

    /// <summary>No proxy: whatever the environment says, these requests go to 127.0.0.1 directly.</summary>
    private static HttpClient NewClient(TimeSpan timeout) => new(new SocketsHttpHandler { UseProxy = false }) { Timeout = timeout };

    /// <summary>Reads a request's head, up to its blank line (a GET has no body).</summary>
    private static string ReadHead(Socket connection)
    {
        byte[] head = new byte[MaxHeadBytes];
        int length = 0;
        // Each Receive adds at least one byte or ends the loop, so it runs at most MaxHeadBytes times.
        while (length < head.Length)
        {
            int count = connection.Receive(head.AsSpan(length));
            Expect.True(count > 0, "the client closed before the end of its request head");
            length += count;
            string text = Encoding.ASCII.GetString(head, 0, length);
            if (text.Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                return text;
            }
        }

        throw new CheckFailedException($"a request head longer than {MaxHeadBytes} bytes");
    }
}
