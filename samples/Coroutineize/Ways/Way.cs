using Co;
using Coroutineize.Running;

namespace Coroutineize.Ways;

/// <summary>The ways to run libpq from coroutines that this sample compares; each runs in a child process of its own.</summary>
/// <param name="Id">The child's <c>--way</c> value.</param>
/// <param name="Label">The row label.</param>
/// <param name="Hooked">Whether the child enables the hooks (process-wide: the other ways must run without them).</param>
internal sealed record Way(string Id, string Label, bool Hooked)
{
    public static readonly Way Coroutineized = new("coroutineized", "coroutineized, sync coroutines (IoEvent.Wait)", Hooked: false);

    public static readonly Way CoroutineizedAsync = new("coroutineized-async", "coroutineized, async coroutines (WaitAsync)", Hooked: false);

    public static readonly Way HookedPQexec = new("hooked", "hooked PQexec, sync coroutines (Hooks.Enable)", Hooked: true);

    /// <summary>Every way, in table order.</summary>
    public static readonly Way[] All = [Coroutineized, CoroutineizedAsync, HookedPQexec];

    /// <summary>The way named <paramref name="id"/>.</summary>
    public static Way Parse(string id) =>
        All.FirstOrDefault(way => way.Id == id) ?? throw new FormatException($"unknown way '{id}' ({string.Join(" | ", All.Select(way => way.Id))})");

    /// <summary>Starts client <paramref name="client"/> of <paramref name="run"/> this way.</summary>
    public void Start(ClientRun run, int client, string conninfo)
    {
        if (this == CoroutineizedAsync)
        {
            run.GoAsync(client, () => CoroutineizedAsyncClient.ConnectAsync(conninfo));
        }
        else
        {
            run.GoSync(client, this == Coroutineized ? () => CoroutineizedClient.Connect(conninfo) : () => HookedClient.Connect(conninfo));
        }
    }

    /// <summary>Puts the process in this way's hook state — the first thing the child does — and checks it.</summary>
    public void ApplyHooks()
    {
        if (!Hooked)
        {
            // A DOTNET_STARTUP_HOOKS from outside would make this comparison meaningless; the parent removes it.
            if (Hooks.IsEnabled)
            {
                throw new InvalidOperationException("the hooks are on (DOTNET_STARTUP_HOOKS?) in a child that must run without them");
            }

            return;
        }

        Hooks.Enable();
        string[] notHooked = [.. new[] { "connect", "poll", "recv", "send" }.Where(name => !Hooks.Status.TryGetValue(name, out HookStatus state) || state.State != HookState.Hooked)];
        if (notHooked.Length > 0)
        {
            throw new InvalidOperationException($"libpq's waits are not hooked here: {string.Join(", ", notHooked)} (see Co.Hooks.Status)");
        }
    }
}
