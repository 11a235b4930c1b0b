namespace Co.Platform;

/// <summary>The per-thread word of <see cref="HookFlags"/> that native hook gates read without entering managed code:
/// native memory published in a thread-local slot the gates know (a pthread key on Linux, a TLS index on Windows).</summary>
internal unsafe interface IHookThreadFlags
{
    /// <summary>Creates the calling thread's flags word (zero) and publishes it.</summary>
    int* Attach();

    /// <summary>Unpublishes and frees the calling thread's flags word, as the thread leaves the scheduler.</summary>
    void Detach(int* flags);
}
