namespace Co;

/// <summary>co's <c>io_event_t</c>: the readiness an <see cref="IoEvent"/> waits for.</summary>
public enum IoEventType
{
    /// <summary>Readable (co's <c>EV_read</c>).</summary>
    Read = 1,

    /// <summary>Writable (co's <c>EV_write</c>).</summary>
    Write = 2,
}
