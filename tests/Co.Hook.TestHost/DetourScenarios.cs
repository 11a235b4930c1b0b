using System.Runtime.InteropServices;
using Co.Hook;
using Co.Testing;
using static Scenarios;

/// <summary>The bare detour engine (NativeDetour): install, call through, remove, relocate, refuse.</summary>
internal static unsafe class DetourScenarios
{
    private static readonly nint Libc = NativeLibrary.Load("libc.so.6");

    /// <summary>A detour replaces the function, the trampoline calls the real one, and removal restores it; 200 times.</summary>
    [Scenario("detour-getppid")]
    public static void DetourGetppid()
    {
        nint target = NativeLibrary.GetExport(Libc, "getppid");
        int real = Libc_.getppid();
        for (int round = 0; round < 200; round++)
        {
            using (NativeDetour detour = NativeDetour.Install(target, (nint)(delegate* unmanaged<int>)&Replacements.Getppid))
            {
                Check(Libc_.getppid() == Replacements.FakeParent, $"round {round}: the detoured getppid returned {Libc_.getppid()}");
                int throughTrampoline = ((delegate* unmanaged<int>)detour.Original)();
                Check(throughTrampoline == real, $"round {round}: the original through the trampoline returned {throughTrampoline}, expected {real}");
            }

            Check(Libc_.getppid() == real, $"round {round}: after removal getppid returned {Libc_.getppid()}");
        }
    }

    /// <summary>
    /// A detour gives the patched page back exactly the protection it had: libc's code stays read-execute (never made
    /// writable for good), and a read-write-execute page — as the runtime's own code heap is with W^X off, where it
    /// goes on writing new code — stays writable (before, it came back read-execute and the runtime's next write there
    /// crashed the process).
    /// </summary>
    [Scenario("detour-keeps-page-protection")]
    public static void DetourKeepsPageProtection()
    {
        nint getppid = NativeLibrary.GetExport(Libc, "getppid");
        string libcBefore = PermissionsOf(getppid);
        Check(libcBefore.StartsWith("r-x", StringComparison.Ordinal), $"libc's getppid page is {libcBefore}, expected r-x");
        using (NativeDetour.Install(getppid, (nint)(delegate* unmanaged<int>)&Replacements.Getppid))
        {
            Check(PermissionsOf(getppid) == libcBefore, $"installed: getppid's page is {PermissionsOf(getppid)}, was {libcBefore}");
        }

        Check(PermissionsOf(getppid) == libcBefore, $"removed: getppid's page is {PermissionsOf(getppid)}, was {libcBefore}");

        // mov eax, 7; ret — in an anonymous read-write-execute page.
        const int ReadWriteExecute = 7, PrivateAnonymous = 0x22;
        nint page = Libc_.mmap(0, 4096, ReadWriteExecute, PrivateAnonymous, -1, 0);
        Check(page != -1, "mmap of a read-write-execute page failed");
        byte[] code = [0xB8, 0x07, 0x00, 0x00, 0x00, 0xC3];
        Marshal.Copy(code, 0, page, code.Length);
        var seven = (delegate* unmanaged<int>)page;
        Check(seven() == 7, "the generated function did not return 7");
        string before = PermissionsOf(page);
        using (NativeDetour.Install(page, (nint)(delegate* unmanaged<int>)&Replacements.Getppid))
        {
            Check(seven() == Replacements.FakeParent, $"the detoured function returned {seven()}");
            Check(PermissionsOf(page) == before, $"installed: the page is {PermissionsOf(page)}, was {before}");
            Marshal.WriteByte(page, 64, 0xC3); // the page must still take writes, as the runtime's code heap does
        }

        Check(seven() == 7 && PermissionsOf(page) == before, $"removed: the function returned {seven()}, the page is {PermissionsOf(page)}, was {before}");
    }

    /// <summary>The permission field ("r-xp", "rwxp", ...) of the mapping that holds <paramref name="address"/>, read
    /// from /proc/self/maps.</summary>
    private static string PermissionsOf(nint address)
    {
        foreach (string line in File.ReadLines("/proc/self/maps"))
        {
            string[] fields = line.Split(' ', 3);
            string[] range = fields[0].Split('-');
            long start = Convert.ToInt64(range[0], 16), end = Convert.ToInt64(range[1], 16);
            if ((long)address >= start && (long)address < end)
            {
                return fields[1];
            }
        }

        return "unmapped";
    }

    /// <summary>recv's prologue starts with a RIP-relative cmp: relocated, it must still work, with libc's results
    /// and errno (data, EAGAIN, EBADF) unchanged through the replacement.</summary>
    [Scenario("detour-recv")]
    public static void DetourRecv()
    {
        nint target = NativeLibrary.GetExport(Libc, "recv");
        int* pair = stackalloc int[2];
        Check(Libc_.socketpair(1, 1, 0, pair) == 0, "socketpair failed");
        using NativeDetour detour = NativeDetour.Install(target, (nint)(delegate* unmanaged<int, byte*, nint, int, nint>)&Replacements.Recv);
        Replacements.RecvOriginal = detour.Original;
        byte sent = 42;
        for (int round = 0; round < 1000; round++)
        {
            Check(Libc_.send(pair[0], &sent, 1, 0) == 1, "send failed");
            byte received = 0;
            nint n = Libc_.recv(pair[1], &received, 1, 0);
            Check(n == 1 && received == 42, $"recv returned {n} / {received}");
            n = Libc_.recv(pair[1], &received, 1, 0x40 /* MSG_DONTWAIT */);
            Check(n == -1 && Marshal.GetLastPInvokeError() == 11, $"recv on an empty socket returned {n}, errno {Marshal.GetLastPInvokeError()} (expected -1, EAGAIN)");
            n = Libc_.recv(-1, &received, 1, 0);
            Check(n == -1 && Marshal.GetLastPInvokeError() == 9, $"recv(-1) returned {n}, errno {Marshal.GetLastPInvokeError()} (expected -1, EBADF)");
        }

        Check(Replacements.RecvCalls == 3000, $"the replacement saw {Replacements.RecvCalls} calls, expected 3000");
    }

    /// <summary>Two threads call recv (peek, non-blocking) nonstop while the main thread installs and removes its
    /// detour 5,000 times: every call returns the right result whichever code it ran through.</summary>
    [Scenario("install-under-load")]
    public static void InstallUnderLoad()
    {
        nint target = NativeLibrary.GetExport(Libc, "recv");
        int* pair = stackalloc int[2];
        Check(Libc_.socketpair(1, 1, 0, pair) == 0, "socketpair failed");
        byte sent = 7;
        Check(Libc_.send(pair[0], &sent, 1, 0) == 1, "send failed");
        int fd = pair[1];

        // Trampolines are never freed, so any one of them stays a valid way to the original: start with one, then
        // let callers race with installs and removals.
        using (NativeDetour first = NativeDetour.Install(target, (nint)(delegate* unmanaged<int, byte*, nint, int, nint>)&Replacements.Recv))
        {
            Volatile.Write(ref Replacements.RecvOriginal, first.Original);
        }

        int stop = 0;
        long wrong = 0;
        long calls = 0;
        var callers = new Thread[2];
        for (int i = 0; i < callers.Length; i++)
        {
            callers[i] = new Thread(() =>
            {
                byte peeked = 0;
                while (Volatile.Read(ref stop) == 0)
                {
                    nint n = Libc_.recv(fd, &peeked, 1, 0x40 | 0x2 /* MSG_DONTWAIT | MSG_PEEK */);
                    if (n != 1 || peeked != 7)
                    {
                        Interlocked.Increment(ref wrong);
                    }

                    Interlocked.Increment(ref calls);
                }
            });
            callers[i].Start();
        }

        for (int round = 0; round < 5000; round++)
        {
            using NativeDetour detour = NativeDetour.Install(target, (nint)(delegate* unmanaged<int, byte*, nint, int, nint>)&Replacements.Recv);
            Volatile.Write(ref Replacements.RecvOriginal, detour.Original);
            Thread.SpinWait(50);
        }

        Volatile.Write(ref stop, 1);
        foreach (Thread caller in callers)
        {
            caller.Join();
        }

        Check(wrong == 0, $"{wrong} of {calls} concurrent recv calls returned a wrong result");
        Check(calls > 1000, $"only {calls} concurrent calls were made");
    }

    /// <summary>Prologues that cannot be moved safely are refused with a reason, and the code is left untouched.</summary>
    [Scenario("refuse")]
    public static void Refuse()
    {
        byte* code = (byte*)Libc_.mmap(0, 4096, 7, 0x22, -1, 0);
        Check(code != (byte*)-1, "mmap failed");
        nint replacement = (nint)(delegate* unmanaged<int>)&Replacements.Getppid;

        // 1. returns within the patched bytes: xor eax,eax; ret
        byte[] early = [0x31, 0xC0, 0xC3, 0x90, 0x90, 0x90, 0x90, 0x90];
        ExpectRefused(code, early, replacement, "may leave within the patched bytes");

        // 2. a later branch lands inside the patched bytes: nop x2; mov eax,1 (5 bytes); dec ecx; jnz back to +2; ret
        byte[] loop = [0x90, 0x90, 0xB8, 0x01, 0x00, 0x00, 0x00, 0xFF, 0xC9, 0x75, 0xF7, 0xC3];
        ExpectRefused(code + 64, loop, replacement, "branches into the patched bytes");

        // 3. the patch would straddle an 8-byte boundary
        byte[] plain = [0x48, 0x89, 0xF8, 0x48, 0x89, 0xF8, 0xC3];
        ExpectRefused(code + 128 + 5, plain, replacement, "straddle");

        // 4. undecodable bytes
        byte[] garbage = [0x0F, 0x0B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        ExpectRefused(code + 192, garbage, replacement, "cannot be moved");
    }

    private static void ExpectRefused(byte* at, byte[] bytes, nint replacement, string because)
    {
        Marshal.Copy(bytes, 0, (nint)at, bytes.Length);
        bool installed = NativeDetour.TryInstall((nint)at, replacement, out NativeDetour? detour, out string? reason);
        Check(!installed && detour is null, $"a prologue that should be refused ({because}) was detoured");
        Check(reason!.Contains(because, StringComparison.Ordinal), $"refused for '{reason}', expected a reason containing '{because}'");
        var now = new byte[bytes.Length];
        Marshal.Copy((nint)at, now, 0, now.Length);
        Check(now.AsSpan().SequenceEqual(bytes), "a refused detour changed the code");
    }
}
