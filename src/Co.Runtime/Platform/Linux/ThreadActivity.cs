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
internal static partial class ThreadActivity
{
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
        try
        {
            return new FileInfo($"/proc/self/fd/{fd}").LinkTarget ?? "?";
        }
        catch (IOException)
        {
            return "closed";
        }
        catch (UnauthorizedAccessException)
        {
            return "?";
        }
    }

    private static bool TryParseHex(string field, out long value) =>
        long.TryParse(field.StartsWith("0x", StringComparison.Ordinal) ? field[2..] : field, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null; // the thread exited
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
