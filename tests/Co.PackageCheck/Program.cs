// The package check: a program that references only the Co.Hooks package, restored from the packed output, enables
// the hooks and requires every layer to have hooked something — the native layer libc's recv, the managed layer
// Thread.Sleep(int) — and, run with DOTNET_STARTUP_HOOKS at the package's startup-hook folder, to find them enabled
// before Main. Prints "Passed: 1" or "Failed: 1" (counted by ./build.sh test) and exits non-zero on failure.
using Co;

bool startupHook = Environment.GetEnvironmentVariable("DOTNET_STARTUP_HOOKS") is { Length: > 0 };
bool enabledBeforeMain = Hooks.IsEnabled;
Hooks.Enable();

var failures = new List<string>();
if (startupHook && !enabledBeforeMain)
{
    failures.Add("DOTNET_STARTUP_HOOKS is set but the hooks were not enabled before Main");
}

foreach ((string layer, string name) in new[] { ("Co.Hook.Native", "recv"), ("Co.Hook.Managed", "Thread.Sleep(int)") })
{
    if (!Hooks.Status.TryGetValue(name, out HookStatus status) || status.State != HookState.Hooked)
    {
        failures.Add($"{layer}: {name}: {(status.Name is null ? "missing from Co.Hooks.Status" : status.ToString())}");
    }
}

if (Hooks.Status.TryGetValue("*", out HookStatus everything))
{
    failures.Add($"nothing hooked: {everything}");
}

int hooked = Hooks.Status.Values.Count(status => status.State == HookState.Hooked);
string how = startupHook ? "startup hook from the package" : "Co.Hooks.Enable()";
foreach (string failure in failures)
{
    Console.WriteLine($"Package check ({how}): {failure}");
}

Console.WriteLine(failures.Count == 0
    ? $"Package check ({how}): {hooked} functions and methods hooked, every layer in. Passed: 1"
    : $"Package check ({how}): Failed: 1");
return failures.Count == 0 ? 0 : 1;
