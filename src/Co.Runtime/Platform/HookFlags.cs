namespace Co.Platform;

/// <summary>The bits of a scheduler thread's hook flags word (<see cref="IHookThreadFlags"/>), the same on every
/// platform: the runtime writes <see cref="RunningCoroutine"/>, the hook layer <see cref="InHook"/>.</summary>
internal static class HookFlags
{
    /// <summary>The thread is running coroutine code: a blocking call may park the coroutine instead.</summary>
    public const int RunningCoroutine = 1;

    /// <summary>The thread is inside a hook handler: calls it makes go straight to the originals.</summary>
    public const int InHook = 2;
}
