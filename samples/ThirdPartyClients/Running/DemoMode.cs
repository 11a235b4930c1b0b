namespace ThirdPartyClients.Running;

/// <summary>
/// One of the three ways the demo runs the same unmodified program, each in a process of its own: with Co's hooks
/// (and the runtime's defaults, the blocked-scheduler monitor included), with the monitor alone (hooks never
/// enabled), and with neither — the program as it is, which the other two are measured against.
/// </summary>
/// <param name="Name">What <c>--mode</c> takes and the child protocol carries.</param>
/// <param name="Hooks">Whether the process calls <c>Co.Hooks.Enable()</c> first.</param>
/// <param name="Monitor">Whether the blocked-scheduler monitor runs (its default threshold), or is turned off.</param>
/// <param name="Column">The table's column heading.</param>
internal sealed record DemoMode(string Name, bool Hooks, bool Monitor, string Column)
{
    /// <summary>Hooks on; the monitor stays at its default, as in any program that enables the hooks.</summary>
    public static readonly DemoMode On = new("on", Hooks: true, Monitor: true, "hooks on");

    /// <summary>No hooks, the monitor at its default: what the safety net alone does for blocking calls.</summary>
    public static readonly DemoMode MonitorOnly = new("monitor", Hooks: false, Monitor: true, "monitor only");

    /// <summary>Neither: the monitor is turned off explicitly, since it is on by default.</summary>
    public static readonly DemoMode Off = new("off", Hooks: false, Monitor: false, "neither (off)");

    /// <summary>Every mode, in the order the default run runs them and the table shows them.</summary>
    public static readonly IReadOnlyList<DemoMode> All = [On, MonitorOnly, Off];

    /// <summary>The mode called <paramref name="name"/>, or null.</summary>
    public static DemoMode? Find(string name) => All.FirstOrDefault(mode => mode.Name == name);
}
