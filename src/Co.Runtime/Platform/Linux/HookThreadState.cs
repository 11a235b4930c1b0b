using System.Runtime.InteropServices;

namespace Co.Platform.Linux;

/// <summary>
/// The per-thread state that native hook gates read without entering managed code: one 32-bit word of flags per
/// scheduler thread, in native memory, reachable through a pthread key. The runtime owns it and keeps it current
/// (<see cref="HookFlags.RunningCoroutine"/> while the thread runs coroutine code); the hook layer only reads it, and sets
/// <see cref="HookFlags.InHook"/> around its own handlers. Plain stores suffice: only the owning thread writes its word, and
/// only the owning thread's gate reads it.
/// </summary>
internal static unsafe partial class HookThreadState
{
    private static readonly Lazy<uint> s_key = new(CreateKey);

    [LibraryImport("libc", EntryPoint = "pthread_key_create")]
    private static partial int PthreadKeyCreate(uint* key, nint destructor);

    [LibraryImport("libc", EntryPoint = "pthread_setspecific")]
    private static partial int PthreadSetSpecific(uint key, void* value);

    /// <summary>The pthread key whose value, on scheduler threads, points to the flags word.</summary>
    public static uint Key => s_key.Value;

    /// <summary>Creates the calling thread's flags word (zero) and publishes it under <see cref="Key"/>.</summary>
    public static int* Attach()
    {
        int* flags = (int*)NativeMemory.AllocZeroed(sizeof(long));
        PthreadSetSpecific(Key, flags);
        return flags;
    }

    /// <summary>Unpublishes and frees the calling thread's flags word, as the thread leaves the scheduler.</summary>
    public static void Detach(int* flags)
    {
        PthreadSetSpecific(Key, null);
        NativeMemory.Free(flags);
    }

    private static uint CreateKey()
    {
        uint key;
        if (PthreadKeyCreate(&key, 0) != 0)
        {
            throw new InvalidOperationException("pthread_key_create failed: no key for the hook gates' thread state.");
        }

        return key;
    }
}
