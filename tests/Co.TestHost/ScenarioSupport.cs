using Co.Testing;

namespace Co.TestHost;

/// <summary>What the runtime scenarios share: the bound on every wait, failing, and running a body in a coroutine within
/// the bound.</summary>
internal static class ScenarioSupport
{
    /// <summary>How long any wait of a scenario may take before it counts as a hang.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    /// <summary>The failure to throw when a scenario cannot go on; the host reports it (ScenarioProtocol's FAIL).</summary>
    public static ScenarioFailedException Fail(string message) => new(message);

    public static string TypeName(Exception? e) => e is null ? "none" : e.GetType().Name;

    public static string? Catch(Action a)
    {
        try { a(); return null; }
        catch (Exception e) { return e.GetType().Name; }
    }

    public static bool WaitBounded(WaitGroup wg)
    {
        var t = new Thread(() => wg.Wait()) { IsBackground = true };
        t.Start();
        return t.Join(Bound);
    }

    public static bool RunSyncBounded(Action body)
    {
        var done = new ManualResetEventSlim();
        Exception? error = null;
        Coroutine.Go(() =>
        {
            try { body(); }
            catch (Exception e) { error = e; }
            finally { done.Set(); }
        });
        if (!done.Wait(Bound)) return false;
        if (error != null) throw new InvalidOperationException("coroutine failed: " + error.Message, error);
        return true;
    }

    public static bool RunAsyncBounded(Func<Task> body)
    {
        var done = new ManualResetEventSlim();
        Exception? error = null;
        Coroutine.Go(async () =>
        {
            try { await body(); }
            catch (Exception e) { error = e; }
            finally { done.Set(); }
        });
        if (!done.Wait(Bound)) return false;
        if (error != null) throw new InvalidOperationException("coroutine failed: " + error.Message, error);
        return true;
    }
}
