using System.Runtime.InteropServices;
using System.Text;
using Co.Samples;
using ThirdPartyClients.Servers;

namespace ThirdPartyClients.Clients;

/// <summary>
/// libcurl's easy interface (curl_easy_perform, one transfer per call) through P/Invoke: a C library that makes its own
/// non-blocking socket and waits in libc's poll(), which the native layer parks. Skipped when libcurl.so.4 is absent.
/// </summary>
internal sealed unsafe class CurlClient(DemoContext context) : IClient
{
    private DelayingHttpServer? _server;

    public string Id => "curl";

    public string Name => "libcurl curl_easy_perform (P/Invoke)";

    public InFlight InFlight => _server!.InFlight;

    public string? Prepare()
    {
        if (!NativeLibrary.TryLoad(LibCurl.Library, out _))
        {
            return $"{LibCurl.Library} cannot be loaded (install libcurl4)";
        }

        if (LibCurl.GlobalInit(LibCurl.GlobalDefault) != 0)
        {
            return "curl_global_init failed";
        }

        _server = DelayingHttpServer.Start(context.ServerScheduler, context.DelayMs);
        Request(-1);
        return null;
    }

    public void Request(int id)
    {
        string path = $"/client-{id}";
        nint easy = LibCurl.EasyInit();
        if (easy == 0)
        {
            throw new InvalidOperationException("curl_easy_init failed");
        }

        var body = new List<byte>();
        GCHandle handle = GCHandle.Alloc(body);
        try
        {
            fixed (byte* url = Encoding.ASCII.GetBytes($"http://127.0.0.1:{_server!.Port}{path}\0"))
            {
                SetOpt(easy, LibCurl.OptUrl, (nint)url); // curl copies string options
            }

            SetOpt(easy, LibCurl.OptWriteFunction, (nint)(delegate* unmanaged<byte*, nuint, nuint, nint, nuint>)&LibCurl.Collect);
            SetOpt(easy, LibCurl.OptWriteData, GCHandle.ToIntPtr(handle));
            Check(LibCurl.EasySetOptLong(easy, LibCurl.OptNoSignal, 1), "CURLOPT_NOSIGNAL");
            Check(LibCurl.EasySetOptLong(easy, LibCurl.OptTimeoutMs, 30_000), "CURLOPT_TIMEOUT_MS");
            Check(LibCurl.EasyPerform(easy), "curl_easy_perform");
            long status = 0;
            Check(LibCurl.EasyGetInfo(easy, LibCurl.InfoResponseCode, &status), "CURLINFO_RESPONSE_CODE");
            string text = Encoding.ASCII.GetString([.. body]);
            if (status != 200 || text != DelayingHttpServer.BodyFor(path))
            {
                throw new InvalidDataException($"{path}: HTTP {status}, body '{text}'");
            }
        }
        finally
        {
            LibCurl.EasyCleanup(easy);
            handle.Free();
        }
    }

    public void Dispose() => _server?.Dispose();

    private static void SetOpt(nint easy, int option, nint value) => Check(LibCurl.EasySetOptPointer(easy, option, value), $"curl_easy_setopt({option})");

    private static void Check(int code, string what)
    {
        if (code != 0)
        {
            throw new IOException($"{what}: {LibCurl.StrError(code)}");
        }
    }
}
