namespace ThirdPartyClients.Running;

/// <summary>Follows a mode's run client by client: the console display in this process, or the report a child sends
/// its parent.</summary>
internal interface IRunObserver
{
    /// <summary>The mode is about to run; <paramref name="setup"/> says what the hooks and the blocked-scheduler
    /// monitor are doing in it.</summary>
    void ModeStarted(string mode, string setup);

    /// <summary>A client starts its timed run of <paramref name="total"/> requests (or its set-up).</summary>
    void ClientStarted(string id, string name, int total);

    /// <summary><paramref name="done"/> of the client's requests have finished.</summary>
    void ClientProgress(string id, int done, int total);

    /// <summary>The client is done (or skipped).</summary>
    void ClientFinished(ClientResult result);
}
