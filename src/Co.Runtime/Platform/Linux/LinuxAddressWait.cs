namespace Co.Platform.Linux;

/// <summary><see cref="IAddressWait"/> on the futex system call (<see cref="Futex"/>).</summary>
internal sealed unsafe class LinuxAddressWait : IAddressWait
{
    public void Wait(int* address, int expected, long timeoutNanoseconds) => Futex.Wait(address, expected, timeoutNanoseconds);

    public void Wake(int* address, int count) => Futex.Wake(address, count);
}
