namespace Co.Platform.Linux;

/// <summary><see cref="IHookThreadFlags"/> under a pthread key (<see cref="HookThreadState"/>).</summary>
internal sealed unsafe class LinuxHookThreadFlags : IHookThreadFlags
{
    public int* Attach() => HookThreadState.Attach();

    public void Detach(int* flags) => HookThreadState.Detach(flags);
}
