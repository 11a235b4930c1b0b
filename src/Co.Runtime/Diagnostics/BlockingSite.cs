namespace Co;

/// <summary>One call site of <see cref="Coroutine.BlockingSites"/>: where coroutines blocked their scheduler without
/// passing a hook, in which system call, how often, and for how long in all and at most.</summary>
/// <param name="CallSite">The first frame outside Co's and .NET's assemblies on the coroutine's stack where it next
/// suspended: the client library's or the user's method.</param>
/// <param name="BlockedIn">The system call the thread was blocked in, without its arguments (<c>"futex"</c> for every
/// managed wait, <c>"read"</c>, <c>"openat"</c>…), or <c>"?"</c> if it could not be read.</param>
/// <param name="Count">How many times the monitor had to rescue a scheduler there.</param>
/// <param name="Total">The blocking time summed.</param>
/// <param name="Longest">The longest single blocking.</param>
/// <param name="ShortSamples">How many coroutine steps the monitor saw asleep in the kernel there without their blocking
/// reaching the threshold (never rescued, so not in <paramref name="Count"/>): short waits that still hold the
/// scheduler. A sample (one look per half threshold, one count per step), so a wait of a few milliseconds is counted
/// about as often as its length divided by half the threshold; the number grows with how much such waits serialize.</param>
public sealed record BlockingSite(string CallSite, string BlockedIn, int Count, TimeSpan Total, TimeSpan Longest, int ShortSamples = 0);
