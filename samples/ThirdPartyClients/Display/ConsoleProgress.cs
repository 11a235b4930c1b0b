using System.Diagnostics;
using ThirdPartyClients.Running;

namespace ThirdPartyClients.Display;

/// <summary>
/// The live display: on a terminal one line per client that fills in as its requests finish and is replaced by the
/// client's outcome; when stdout is a file or pipe, just the outcome lines (no carriage returns in logs).
/// </summary>
internal sealed class ConsoleProgress : IRunObserver
{
    private const int BarWidth = 20;
    private readonly bool _live = !Console.IsOutputRedirected;
    private readonly Stopwatch _sinceStart = new();
    private string _name = "";
    private long _lastDrawMs = -1000;

    public void ModeStarted(string mode, string setup) => Console.WriteLine($"--mode {mode}: {setup}");

    public void ClientStarted(string id, string name, int total)
    {
        _name = name;
        _sinceStart.Restart();
        _lastDrawMs = -1000;
        ClientProgress(id, 0, total);
    }

    public void ClientProgress(string id, int done, int total)
    {
        if (!_live || (_sinceStart.ElapsedMilliseconds - _lastDrawMs < 100 && done < total))
        {
            return;
        }

        _lastDrawMs = _sinceStart.ElapsedMilliseconds;
        int filled = total == 0 ? 0 : done * BarWidth / total;
        string bar = new string('#', filled) + new string('.', BarWidth - filled);
        Console.Write($"\r  {_name,-38} [{bar}] {done,3}/{total}  {_sinceStart.Elapsed.TotalSeconds:0.0} s\u001b[K");
    }

    public void ClientFinished(ClientResult result)
    {
        string outcome = result switch
        {
            { Skipped: { } why } => $"skipped: {why}",
            { Error: { } error } => $"FAILED: {error}",
            _ => $"{result.Completed}/{result.Requests} answered in {result.Seconds}, at most {result.MaxInFlight} in flight" +
                 (result.Handoffs > 0 ? $", monitor: {Verdict.Handoffs(result)}" : ""),
        };
        Console.WriteLine($"{(_live ? "\r" : "")}  {result.Name,-38} {outcome}{(_live ? "\u001b[K" : "")}");
    }
}
