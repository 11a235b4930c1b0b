using System.Runtime.InteropServices;

namespace Co.Diagnostics;

/// <summary>
/// A dump on demand from outside the process: with <c>CO_DUMP_SIGNAL=1</c> in the environment, <c>kill -USR2 pid</c>
/// writes <see cref="Coroutine.DumpTo"/> to standard error. Registered when the schedulers start.
/// </summary>
internal static class DumpSignal
{
    private const int SigUsr2 = 12;
    private static PosixSignalRegistration? s_registration;

    /// <summary>Where the dump goes (standard error; tests substitute a writer).</summary>
    internal static TextWriter Output { get; set; } = Console.Error;

    /// <summary>Registers the handler if the environment asks for it.</summary>
    public static void RegisterIfRequested()
    {
        if (Environment.GetEnvironmentVariable("CO_DUMP_SIGNAL") != "1" || !OperatingSystem.IsLinux())
        {
            return;
        }

        Scheduling.CoroutineBase.TimingWaits = true;
        s_registration ??= PosixSignalRegistration.Create((PosixSignal)SigUsr2, context =>
        {
            context.Cancel = true;
            Coroutine.DumpTo(Output);
        });
    }
}
