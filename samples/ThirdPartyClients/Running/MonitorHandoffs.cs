using System.Diagnostics;
using System.Diagnostics.Metrics;
using Co;

namespace ThirdPartyClients.Running;

/// <summary>
/// What the blocked-scheduler monitor did for one scheduler between <see cref="Begin"/> and <see cref="End"/>: how many
/// hand-offs, and the system call the rescued coroutines were blocked in most often.
/// </summary>
/// <remarks>
/// The count is the runtime's own counter (<c>co.monitor.handoffs</c> on the meter <c>Co</c>), which the monitor bumps
/// as it hands the scheduler away, so it is complete the moment the requests are. The system call comes from
/// <see cref="Coroutine.SchedulerBlocked"/>, which reports a rescued coroutine only when it rejoins its scheduler — at
/// the end of its step, which can come just after the request that blocked counted as finished. So
/// <see cref="End"/> waits, briefly, until every hand-off has its report.
/// </remarks>
internal sealed class MonitorHandoffs : IDisposable
{
    private const string MeterName = "Co";
    private const string InstrumentName = "co.monitor.handoffs";
    private static readonly TimeSpan ReportWait = TimeSpan.FromSeconds(2);

    private readonly int _schedulerId;
    private readonly MeterListener _listener = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<string, int> _calls = [];
    private int _reports;
    private long _latest;
    private long _atBegin;

    /// <summary>Watches <paramref name="scheduler"/> from now on.</summary>
    public MonitorHandoffs(Scheduler scheduler)
    {
        _schedulerId = scheduler.Id;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == MeterName && instrument.Name == InstrumentName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>(OnMeasurement);
        _listener.Start();
        Coroutine.SchedulerBlocked += OnBlocked;
    }

    /// <summary>Starts a span: the hand-offs and reports before it are not counted.</summary>
    public void Begin()
    {
        lock (_lock)
        {
            _calls.Clear();
            _reports = 0;
        }

        _atBegin = ReadCount();
    }

    /// <summary>Ends the span: its hand-offs, and the system call most of them were blocked in (null with none).</summary>
    public (int Handoffs, string? BlockedIn) End()
    {
        int handoffs = (int)(ReadCount() - _atBegin);
        var waited = Stopwatch.StartNew();
        while (Volatile.Read(ref _reports) < handoffs && waited.Elapsed < ReportWait)
        {
            Thread.Sleep(1);
        }

        lock (_lock)
        {
            string? top = _calls.Count == 0 ? null : _calls.MaxBy(call => call.Value).Key;
            return (handoffs, top);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Coroutine.SchedulerBlocked -= OnBlocked;
        _listener.Dispose();
    }

    /// <summary>The counter now: an observable instrument is read only when a listener asks.</summary>
    private long ReadCount()
    {
        _listener.RecordObservableInstruments();
        return Interlocked.Read(ref _latest);
    }

    private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            if (tag is { Key: "scheduler", Value: int id } && id == _schedulerId)
            {
                Interlocked.Exchange(ref _latest, value);
            }
        }
    }

    /// <summary>Raised on the rescued coroutine's thread as it rejoins: tallies the call it was blocked in.</summary>
    private void OnBlocked(object? sender, SchedulerBlockedEventArgs report)
    {
        if (report.SchedulerId != _schedulerId)
        {
            return;
        }

        string call = CallName(report.BlockedIn);
        lock (_lock)
        {
            _calls[call] = _calls.GetValueOrDefault(call) + 1;
            _reports++;
        }
    }

    /// <summary>"recvfrom" of "recvfrom(fd 12: socket:[48213])": the arguments differ from one blocking to the next;
    /// "?" when the monitor could not read the call.</summary>
    private static string CallName(string? blockedIn)
    {
        if (blockedIn is null)
        {
            return "?";
        }

        int arguments = blockedIn.IndexOf('(', StringComparison.Ordinal);
        return arguments > 0 ? blockedIn[..arguments] : blockedIn;
    }
}
