using System.Reflection;
using BenchmarkDotNet.Environments;
using BenchmarkDotNet.Portability;

namespace Co.Benchmarks;

/// <summary>
/// Keeps BenchmarkDotNet away from WMI under Wine. When BenchmarkDotNet prints its summary (the markdown exporter and
/// the console summary both print the host environment), it asks WMI (System.Management) whether the machine is a
/// virtual machine. Under Wine there is no .NET Framework, so System.Management's type initializer throws
/// PlatformNotSupportedException; BenchmarkDotNet catches that, but under Wine 8 the TypeInitializationException raised
/// from the runtime's class-init helper kills the main thread while it is dispatched instead of reaching the catch — the
/// process then never ends (its main thread gone, the runtime's service threads waiting). The hypervisor line of the
/// summary is cosmetic: under Wine it is set to "none" before the run.
/// </summary>
internal static class WineHostProbes
{
    public static void SkipWmi()
    {
        if (Wine.Version is null) return;
        var info = HostEnvironmentInfo.GetCurrent();
        var property = typeof(HostEnvironmentInfo).GetProperty(nameof(HostEnvironmentInfo.VirtualMachineHypervisor),
                                                               BindingFlags.Public | BindingFlags.Instance)
                       ?? throw new InvalidOperationException("BenchmarkDotNet's HostEnvironmentInfo has no VirtualMachineHypervisor property");
        property.SetValue(info, new Lazy<VirtualMachineHypervisor?>((VirtualMachineHypervisor?)null));
    }
}
