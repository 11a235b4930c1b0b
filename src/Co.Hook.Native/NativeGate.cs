namespace Co.Hook;

/// <summary>Which calls a native hook's gate sends to its handler (every other call goes to the original).</summary>
internal enum NativeGate
{
    /// <summary>Calls made by coroutine code outside any hook.</summary>
    CoroutineCalls,

    /// <summary>As <see cref="CoroutineCalls"/>, and only when the first argument is a tracked socket: read, write,
    /// readv and writev, which the runtime calls on its own files and pipes on every thread.</summary>
    TrackedSocketsOnly,

    /// <summary>As <see cref="CoroutineCalls"/>, and only from outside the runtime's own modules
    /// (<see cref="Gates.RuntimeModules"/>): the sleep family, which the runtime and libc call for their own reasons.</summary>
    CallersOutsideRuntime,
}
