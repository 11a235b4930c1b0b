using System.Diagnostics.Metrics;
using System.Runtime.InteropServices;

namespace Co.Hook.Gates;

/// <summary>
/// How many calls each hooked function's gate diverted to its handler, counted by the gate itself (<c>lock inc</c> of a
/// native counter on the divert path only, so calls that go straight to libc pay nothing), and published as the
/// observable counter <c>co.hooks.diverted</c> (tag <c>function</c>) on the meter "Co" next to the runtime's
/// instruments. The managed layer adds its own diversions, one series per detoured method (its Status name).
/// </summary>
/// <remarks>Invariant: the counters live in one native block allocated once and never freed or moved (gates hold their
/// addresses as immediates); a function keeps its counter across Disable/Enable, so its gate's code is the same and
/// its detour block is reused.</remarks>
internal static unsafe class NativeDivertCounters
{
    private const int Capacity = 128;

    private static readonly long* s_counters = (long*)NativeMemory.AllocZeroed(Capacity, sizeof(long));
    private static readonly Dictionary<string, int> s_slots = [];
    private static readonly Lock s_lock = new();
    private static readonly List<Func<(string Function, long Count)>> s_extra = [];
    private static readonly Meter s_meter = new("Co", "1.0");
    private static readonly ObservableCounter<long> s_diverted =
        s_meter.CreateObservableCounter("co.hooks.diverted", Observe, "{call}", "Blocking calls in coroutines that a hook turned into a coroutine wait, per function");

    /// <summary>The counter of <paramref name="function"/>, for its gate; 0 (no counting) when the block is full.</summary>
    public static nint For(string function)
    {
        lock (s_lock)
        {
            if (!s_slots.TryGetValue(function, out int slot))
            {
                if (s_slots.Count == Capacity)
                {
                    return 0;
                }

                s_slots[function] = slot = s_slots.Count;
            }

            return (nint)(s_counters + slot);
        }
    }

    /// <summary>The count of <paramref name="function"/> so far (0 if it has no counter).</summary>
    public static long Read(string function)
    {
        lock (s_lock)
        {
            return s_slots.TryGetValue(function, out int slot) ? Volatile.Read(ref s_counters[slot]) : 0;
        }
    }

    /// <summary>Adds a count kept elsewhere (one of the managed layer's methods) to the published counter.</summary>
    public static void AddSource(Func<(string Function, long Count)> source)
    {
        lock (s_lock)
        {
            s_extra.Add(source);
        }

        _ = s_diverted;
    }

    private static IEnumerable<Measurement<long>> Observe()
    {
        List<Measurement<long>> measurements;
        lock (s_lock)
        {
            measurements = s_slots
                .Select(pair => new Measurement<long>(Volatile.Read(ref s_counters[pair.Value]), new KeyValuePair<string, object?>("function", pair.Key)))
                .Concat(s_extra.Select(source => source()).Select(extra => new Measurement<long>(extra.Count, new KeyValuePair<string, object?>("function", extra.Function))))
                .ToList();
        }

        return measurements;
    }
}
