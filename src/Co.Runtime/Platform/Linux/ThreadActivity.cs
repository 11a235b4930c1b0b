using System.Globalization;
using System.Runtime.InteropServices;

namespace Co.Platform.Linux;

/// <summary>
/// What another thread of this process is doing, from procfs: whether it is blocked in the kernel
/// (<c>/proc/self/task/TID/stat</c>, state S or D) and in which system call (<c>/proc/self/task/TID/syscall</c>:
/// the number and arguments of the call the thread sleeps in, or "running"). The blocked-scheduler monitor uses it to
/// tell a coroutine blocked in a call no hook saw from one that computes or merely waits for a CPU (state R), and to
/// name the call in its report. Reading another task's syscall file needs ptrace access to it, which a process always
/// has to its own threads; any failure reads as "not known", never as blocked.
/// </summary>
/// <remarks>The files are read with libc's open/read/readlink, not .NET's file API, so that a failure — the thread has
/// exited, or the process is out of descriptors (EMFILE), which the monitor meets when a program exhausts them — is a
/// return value, never an exception thrown on the monitor's thread at every look.</remarks>
internal static unsafe partial class ThreadActivity
{
    /// <summary>Room for one procfs line: a stat line is a few hundred bytes, a syscall line under 200, a link target
    /// at most PATH_MAX in principle but a socket's or pipe's a few dozen.</summary>
    private const int ReadLimit = 1024;

    private const int ReadOnlyCloseOnExec = 0x80000; // O_RDONLY | O_CLOEXEC

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "read")]
    private static partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "readlink", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint ReadLink(string path, byte* buffer, nint size);

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();

    /// <summary>The calling thread's OS id.</summary>
    public static int CurrentThreadId() => GetTid();

    /// <summary>Whether thread <paramref name="threadId"/> sleeps in the kernel (state S, interruptible, or D,
    /// uninterruptible); false when it runs, waits for a CPU, or cannot be read.</summary>
    public static bool IsBlocked(int threadId)
    {
        string? stat = TryRead($"/proc/self/task/{threadId}/stat");

        // "tid (comm) S ...": the name may hold spaces and parentheses, so the state follows the last ')'.
        int close = stat?.LastIndexOf(')') ?? -1;
        if (stat is null || close < 0 || close + 2 >= stat.Length)
        {
            return false;
        }

        char state = stat[close + 2];
        return state is 'S' or 'D';
    }

    /// <summary>The system call thread <paramref name="threadId"/> is blocked in, as "name(fd N: what it is)" for calls
    /// on a descriptor, "name" otherwise; null when it runs or cannot be read.</summary>
    public static string? BlockedIn(int threadId)
    {
        string? line = TryRead($"/proc/self/task/{threadId}/syscall")?.Trim();
        string[] fields = line?.Split(' ') ?? [];
        if (fields.Length == 0 || !int.TryParse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int number) || number < 0)
        {
            return null; // "running", or -1: blocked outside a system call (a page fault)
        }

        (string name, bool onDescriptor) = Describe(number);
        if (onDescriptor && fields.Length > 1 && TryParseHex(fields[1], out long fd))
        {
            return $"{name}(fd {fd}: {DescriptorTarget(fd)})";
        }

        return name;
    }

    /// <summary>The x86-64 system calls a thread is commonly found blocked in, and whether the first argument is a
    /// descriptor worth naming.</summary>
    private static (string Name, bool OnDescriptor) Describe(int number) => number switch
    {
        0 => ("read", true),
        1 => ("write", true),
        7 => ("poll", false),
        17 => ("pread64", true),
        18 => ("pwrite64", true),
        19 => ("readv", true),
        20 => ("writev", true),
        23 => ("select", false),
        35 => ("nanosleep", false),
        42 => ("connect", true),
        43 => ("accept", true),
        44 => ("sendto", true),
        45 => ("recvfrom", true),
        46 => ("sendmsg", true),
        47 => ("recvmsg", true),
        61 => ("wait4", false),
        72 => ("fcntl", true),
        73 => ("flock", true),
        74 => ("fsync", true),
        75 => ("fdatasync", true),
        202 => ("futex", false),
        230 => ("clock_nanosleep", false),
        232 => ("epoll_wait", false),
        247 => ("waitid", false),
        257 => ("openat", false),
        270 => ("pselect6", false),
        271 => ("ppoll", false),
        281 => ("epoll_pwait", false),
        288 => ("accept4", true),
        _ => ($"syscall {number}", false),
    };

    private static string DescriptorTarget(long fd)
    {
        byte* target = stackalloc byte[ReadLimit];
        nint length = ReadLink($"/proc/self/fd/{fd}", target, ReadLimit);
        return length < 0 ? "closed" : System.Text.Encoding.UTF8.GetString(target, (int)length);
    }

    private static bool TryParseHex(string field, out long value) =>
        long.TryParse(field.StartsWith("0x", StringComparison.Ordinal) ? field[2..] : field, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);

    /// <summary>The start of the file at <paramref name="path"/> (up to <see cref="ReadLimit"/> bytes, one read, which
    /// procfs answers whole for these files), or null when it cannot be read.</summary>
    private static string? TryRead(string path)
    {
        int fd = Open(path, ReadOnlyCloseOnExec);
        if (fd < 0)
        {
            return null; // the thread exited, or no descriptor is free
        }

        byte* text = stackalloc byte[ReadLimit];
        nint length = Read(fd, text, ReadLimit);
        Close(fd);
        return length < 0 ? null : System.Text.Encoding.UTF8.GetString(text, (int)length);
    }
}
