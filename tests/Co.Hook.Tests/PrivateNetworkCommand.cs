using System.Diagnostics;
using Co.Testing;

namespace Co.Hook.Tests;

/// <summary>
/// Runs another child command in a network and mount namespace of its own (<c>unshare --net --mount</c>, as root):
/// only a loopback interface, brought up, and <paramref name="resolvConf"/> bind-mounted over /etc/resolv.conf, so the
/// child may serve DNS on 127.0.0.1:53 and be the only resolver its lookups reach, without touching the machine's.
/// Needs <c>unshare</c> (util-linux) and <c>ip</c> (iproute2; tests/services/packages.sh installs it).
/// </summary>
/// <param name="inner">The command to run inside.</param>
/// <param name="resolvConf">The resolver configuration the child sees as /etc/resolv.conf.</param>
internal sealed class PrivateNetworkCommand(ChildCommand inner, string resolvConf) : ChildCommand
{
    private const string Setup = "ip link set lo up && mount --bind \"$0\" /etc/resolv.conf && exec \"$@\"";

    /// <inheritdoc/>
    public override ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        ProcessStartInfo program = inner.StartInfo(arguments);
        var start = new ProcessStartInfo("unshare");
        foreach (string argument in (string[])["--net", "--mount", "--", "sh", "-c", Setup, resolvConf, program.FileName, .. program.ArgumentList])
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }
}
