using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Co.Platform.Windows;

/// <summary><see cref="IHookThreadFlags"/> under a TLS index: each scheduler thread's word is native memory whose
/// address sits in TLS slot <see cref="TlsIndex"/> (allocated once per process), where a native hook gate reads it
/// with TlsGetValue without entering managed code.</summary>
internal sealed unsafe class WindowsHookThreadFlags : IHookThreadFlags
{
    private static readonly Lazy<uint> s_index = new(AllocateIndex);

    /// <summary>The TLS index holding the calling thread's flags word (null on threads outside the schedulers).</summary>
    public static uint TlsIndex => s_index.Value;

    public int* Attach()
    {
        int* flags = (int*)NativeMemory.AllocZeroed(sizeof(int));
        if (!Kernel32.TlsSetValue(TlsIndex, flags))
        {
            int error = Marshal.GetLastPInvokeError();
            NativeMemory.Free(flags);
            throw new Win32Exception(error, "TlsSetValue failed");
        }

        return flags;
    }

    public void Detach(int* flags)
    {
        Kernel32.TlsSetValue(TlsIndex, null);
        NativeMemory.Free(flags);
    }

    private static uint AllocateIndex()
    {
        uint index = Kernel32.TlsAlloc();
        return index != Kernel32.TlsOutOfIndexes ? index : throw new Win32Exception(Marshal.GetLastPInvokeError(), "TlsAlloc failed");
    }
}
