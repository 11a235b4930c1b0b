using System.Runtime.InteropServices;

namespace Co.Samples;

/// <summary>
/// The few calls of libcurl's easy interface (libcurl.so.4) that ThirdPartyClients' curl client and the hook tests'
/// curl scenario make. curl makes its socket non-blocking and waits in libc's poll() inside <see cref="EasyPerform"/>:
/// the call the native hook layer parks. Shared by both (linked into each project).
/// </summary>
internal static unsafe partial class LibCurl
{
    /// <summary>The library's file name, for the availability probe.</summary>
    public const string Library = "libcurl.so.4";

    public const long GlobalDefault = 3;          // CURL_GLOBAL_SSL | CURL_GLOBAL_WIN32
    public const int OptNoSignal = 99;            // CURLOPT_NOSIGNAL, long
    public const int OptTimeoutMs = 155;          // CURLOPT_TIMEOUT_MS, long
    public const int OptWriteData = 10001;        // CURLOPT_WRITEDATA, pointer
    public const int OptUrl = 10002;              // CURLOPT_URL, char*
    public const int OptWriteFunction = 20011;    // CURLOPT_WRITEFUNCTION, function pointer
    public const int InfoResponseCode = 0x200002; // CURLINFO_RESPONSE_CODE, long*

    [LibraryImport(Library, EntryPoint = "curl_global_init")]
    public static partial int GlobalInit(long flags);

    [LibraryImport(Library, EntryPoint = "curl_easy_init")]
    public static partial nint EasyInit();

    // curl_easy_setopt and curl_easy_getinfo are variadic. On x64 System V a variadic integer or pointer argument goes
    // in the same register as a fixed one, so one fixed signature per argument type calls them correctly; AL (the count
    // of vector registers used) is not set for the call, which is harmless because libcurl reads no floating-point
    // argument through va_arg.
    [LibraryImport(Library, EntryPoint = "curl_easy_setopt")]
    public static partial int EasySetOptPointer(nint easy, int option, nint value);

    [LibraryImport(Library, EntryPoint = "curl_easy_setopt")]
    public static partial int EasySetOptLong(nint easy, int option, long value);

    [LibraryImport(Library, EntryPoint = "curl_easy_getinfo")]
    public static partial int EasyGetInfo(nint easy, int info, long* value);

    [LibraryImport(Library, EntryPoint = "curl_easy_perform")]
    public static partial int EasyPerform(nint easy);

    [LibraryImport(Library, EntryPoint = "curl_easy_cleanup")]
    public static partial void EasyCleanup(nint easy);

    [LibraryImport(Library, EntryPoint = "curl_easy_strerror")]
    private static partial byte* EasyStrError(int code);

    /// <summary>curl's text for a CURLcode.</summary>
    public static string StrError(int code) => Marshal.PtrToStringUTF8((nint)EasyStrError(code)) ?? $"CURLcode {code}";

    /// <summary>CURLOPT_WRITEFUNCTION: appends the chunk to the <see cref="List{T}"/> of bytes whose GCHandle is the
    /// user data.</summary>
    [UnmanagedCallersOnly]
    public static nuint Collect(byte* data, nuint size, nuint count, nint userData)
    {
        var body = (List<byte>)GCHandle.FromIntPtr(userData).Target!;
        nuint length = size * count;
        body.AddRange(new ReadOnlySpan<byte>(data, checked((int)length)));
        return length;
    }
}
