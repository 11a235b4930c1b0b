using System.Runtime.InteropServices;

namespace Co.Platform.Windows;

/// <summary>
/// WaitOnAddress and WakeByAddressSingle/All, Windows 8's futex: imported from the API set
/// api-ms-win-core-synch-l1-2-0.dll, the library Microsoft documents for them (KernelBase.dll implements it on Windows;
/// Wine 8 ships the API-set DLL forwarding to its kernelbase, which implements them on RtlWaitOnAddress).
/// </summary>
internal static unsafe partial class Synchronization
{
    private const string SynchApiSet = "api-ms-win-core-synch-l1-2-0.dll";

    [LibraryImport(SynchApiSet)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool WaitOnAddress(void* address, void* compareAddress, nuint addressSize, uint milliseconds);

    [LibraryImport(SynchApiSet)]
    public static partial void WakeByAddressSingle(void* address);

    [LibraryImport(SynchApiSet)]
    public static partial void WakeByAddressAll(void* address);
}
