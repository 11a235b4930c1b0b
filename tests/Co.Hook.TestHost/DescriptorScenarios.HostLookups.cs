using System.Runtime.InteropServices;
using Co;
using Co.Hook.Handlers;
using Co.Testing;

/// <summary>Scenarios of the descriptor-level hooks: the gethostbyname family and getnameinfo.</summary>
internal static unsafe partial class DescriptorScenarios
{
    /// <summary>gethostbyname, gethostbyname_r and getnameinfo in a coroutine are handed to the offload threads (the counter
    /// grows) and give what they give on a plain thread.</summary>
    [Scenario("host-lookups")]
    public static void HostLookups()
    {
        Coroutine.Configure(o => o.SchedulerCount = 1);
        byte* localhost = stackalloc byte[] { (byte)'l', (byte)'o', (byte)'c', (byte)'a', (byte)'l', (byte)'h', (byte)'o', (byte)'s', (byte)'t', 0 };
        string expected = Lookups(localhost);
        Hooks.Enable();
        long before = Interlocked.Read(ref ResolverHandlers.Offloaded);
        string inCoroutine = "";
        CoroutineRun.All(1, _ => inCoroutine = Lookups(localhost));
        long offloaded = Interlocked.Read(ref ResolverHandlers.Offloaded) - before;
        Console.WriteLine($"LOOKUPS {inCoroutine} OFFLOADED {offloaded}");
        Scenarios.Check(inCoroutine == expected, $"in a coroutine: {inCoroutine}; on a plain thread: {expected}");
        Scenarios.Check(offloaded == 3, $"{offloaded} of 3 lookups were handed to the pool");
        Scenarios.Check(Lookups(localhost) == expected && Interlocked.Read(ref ResolverHandlers.Offloaded) - before == 3, "a plain thread's lookups were diverted");
    }

    /// <summary>gethostbyname + gethostbyname_r of <paramref name="name"/> and getnameinfo of 127.0.0.1, as text.</summary>
    private static string Lookups(byte* name)
    {
        byte* entry = (byte*)Native.GetHostByName(name);
        string first = entry is null ? "null" : $"{Marshal.PtrToStringUTF8(*(nint*)entry)}/{*(int*)(entry + 16)}";
        byte* result = stackalloc byte[32];
        byte* buffer = stackalloc byte[2048];
        void* found = null;
        int hostErrno = 0;
        int status = Native.GetHostByNameR(name, result, buffer, 2048, &found, &hostErrno);
        string second = found is null ? $"null/{status}/{hostErrno}" : $"{Marshal.PtrToStringUTF8(*(nint*)result)}/{*(int*)(result + 16)}";
        byte* address = stackalloc byte[16];
        RawLibc.WriteLoopbackV4(address, 0);
        byte* host = stackalloc byte[64];
        int nameStatus = Native.GetNameInfo(address, 16, host, 64, null, 0, 1 /* NI_NUMERICHOST */);
        return $"{first} {second} {nameStatus}:{Marshal.PtrToStringUTF8((nint)host)}";
    }
}
