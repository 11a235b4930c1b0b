namespace Co;

/// <summary>One call site of <see cref="Coroutine.BlockingSites"/>: where coroutines blocked their scheduler without
/// passing a hook, in which system call, how often, and for how long in all and at most.</summary>
/// <param name="CallSite">The first method outside the runtime on the rescued coroutine's stack.</param>
/// <param name="BlockedIn">The system call the thread was blocked in, without its arguments (<c>"futex"</c> for every
/// managed wait, <c>"read"</c>, <c>"openat"</c>…), or <c>"?"</c> if it could not be read.</param>
/// <param name="Count">How many times the monitor had to rescue a scheduler there.</param>
/// <param name="Total">The blocking time summed.</param>
/// <param name="Longest">The longest single blocking.</param>
public sealed record BlockingSite(string CallSite, string BlockedIn, int Count, TimeSpan Total, TimeSpan Longest);
