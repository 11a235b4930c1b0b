namespace ThirdPartyClients.Running;

/// <summary>The child's side of <see cref="ReportEvent"/>: every observation as a flushed line, so the parent's
/// display moves while the child runs.</summary>
internal sealed class ReportWriter(TextWriter output) : IRunObserver
{
    public void ModeStarted(string mode, string setup) => Write(new ReportEvent("mode", Mode: mode, Setup: setup));

    public void ClientStarted(string id, string name, int total) => Write(new ReportEvent("start", Id: id, Name: name, Total: total));

    public void ClientProgress(string id, int done, int total) => Write(new ReportEvent("progress", Id: id, Done: done, Total: total));

    public void ClientFinished(ClientResult result) => Write(new ReportEvent("result", Id: result.Id, Result: result));

    private void Write(ReportEvent report)
    {
        output.WriteLine(report.ToLine());
        output.Flush();
    }
}
