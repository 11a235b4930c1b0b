namespace Co.Hook.Gates;

/// <summary>
/// The functions that only create or duplicate descriptors: their gates call the original on every thread and record
/// the result in the <see cref="SocketBitmap"/> natively, with no handler (accept, accept4 and close, which also divert
/// in coroutine code, are declared with their handlers).
/// </summary>
[NativeHook(HookLibraries.Libc, "socket", Bookkeeping = Bookkeeping.TrackResult)]
[NativeHook(HookLibraries.Libc, "socketpair", Bookkeeping = Bookkeeping.TrackPair)]
[NativeHook(HookLibraries.Libc, "dup", Bookkeeping = Bookkeeping.CopyToResult)]
[NativeHook(HookLibraries.Libc, "dup2", Bookkeeping = Bookkeeping.CopyToArgument1)]
[NativeHook(HookLibraries.Libc, "dup3", Bookkeeping = Bookkeeping.CopyToArgument1)]
internal static class DescriptorTracking
{
}
