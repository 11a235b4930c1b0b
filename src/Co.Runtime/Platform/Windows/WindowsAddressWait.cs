namespace Co.Platform.Windows;

/// <summary><see cref="IAddressWait"/> on WaitOnAddress (<see cref="Synchronization"/>). Its timeout is in
/// milliseconds: a nanosecond timeout rounds up, so a wait never ends before its time (callers re-check their word and
/// clock either way).</summary>
internal sealed unsafe class WindowsAddressWait : IAddressWait
{
    private const long NanosecondsPerMillisecond = 1_000_000;

    public void Wait(int* address, int expected, long timeoutNanoseconds)
    {
        uint milliseconds = timeoutNanoseconds < 0
            ? Kernel32.Infinite
            : (uint)Math.Min((timeoutNanoseconds + NanosecondsPerMillisecond - 1) / NanosecondsPerMillisecond, Kernel32.Infinite - 1);
        Synchronization.WaitOnAddress(address, &expected, sizeof(int), milliseconds);
    }

    public void Wake(int* address, int count)
    {
        // The contract wakes "up to count": waking every waiter when more than one is asked for is within it.
        if (count == 1)
        {
            Synchronization.WakeByAddressSingle(address);
        }
        else
        {
            Synchronization.WakeByAddressAll(address);
        }
    }
}
