namespace Co;

/// <summary>One call site of <see cref="Coroutine.BlockingSites"/>: where coroutines blocked their scheduler without
/// passing a hook, how often, and for how long in all and at most.</summary>
/// <param name="CallSite">The first method outside the runtime on the rescued coroutine's stack.</param>
/// <param name="Count">How many times the monitor had to rescue a scheduler there.</param>
/// <param name="Total">The blocking time summed.</param>
/// <param name="Longest">The longest single blocking.</param>
public sealed record BlockingSite(string CallSite, int Count, TimeSpan Total, TimeSpan Longest);
