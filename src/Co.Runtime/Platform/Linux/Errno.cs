namespace Co.Platform.Linux;

/// <summary>The Linux errno values the socket layer tests for or reports.</summary>
internal static class Errno
{
    public const int EINTR = 4;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int EINVAL = 22;
    public const int EPIPE = 32;
    public const int EMSGSIZE = 90;
    public const int ENOTSOCK = 88;
    public const int ECANCELED = 125;
    public const int EINPROGRESS = 115;
    public const int ETIMEDOUT = 110;
    public const int EEXIST = 17;
    public const int EPERM = 1;
    public const int ENOTCONN = 107;
}
