using System.Diagnostics;

/// <summary>The assertions of the checks: each throws a <see cref="CheckFailedException"/> saying what was wrong.</summary>
internal static class Expect
{
    /// <summary>A wait asked to last this long must not have ended much earlier (timers and clocks differ by a few
    /// ms) nor taken longer than <see cref="Late"/>.</summary>
    private const double EarlyFactor = 0.8;

    /// <summary>Generous: the machine may be busy with other tests, and a wait that ignored its timeout would hang far
    /// longer than this.</summary>
    public static readonly TimeSpan Late = TimeSpan.FromSeconds(5);

    public static void True(bool condition, string what)
    {
        if (!condition)
        {
            throw new CheckFailedException(what);
        }
    }

    /// <summary>Runs <paramref name="wait"/>, which should last about <paramref name="milliseconds"/>, and checks that
    /// it did.</summary>
    public static void Lasts(int milliseconds, Action wait, string what)
    {
        var watch = Stopwatch.StartNew();
        wait();
        TimeSpan elapsed = watch.Elapsed;
        True(elapsed.TotalMilliseconds >= milliseconds * EarlyFactor && elapsed < Late,
            $"{what}: took {elapsed.TotalMilliseconds:F0} ms, expected about {milliseconds} ms");
    }

    /// <summary>Runs <paramref name="action"/>, which must throw <typeparamref name="T"/>; returns the exception.</summary>
    public static T Throws<T>(Action action, string what)
        where T : Exception
    {
        try
        {
            action();
        }
        catch (T expected)
        {
            return expected;
        }
        catch (Exception other)
        {
            throw new CheckFailedException($"{what}: threw {other.GetType().Name} instead of {typeof(T).Name}", other);
        }

        throw new CheckFailedException($"{what}: returned instead of throwing {typeof(T).Name}");
    }
}

/// <summary>A check saw a result other than the one .NET documents.</summary>
internal sealed class CheckFailedException(string message, Exception? inner = null) : Exception(message, inner);
