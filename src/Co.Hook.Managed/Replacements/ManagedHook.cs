namespace Co.Hook.Managed.Replacements;

/// <summary>The managed layer's detoured methods, as the per-method diversion counters know them.</summary>
internal enum ManagedHook
{
    ReceiveArray,
    ReceiveSpan,
    ReceiveList,
    SendArray,
    SendSpan,
    SendList,
    ReceiveFromArray,
    ReceiveFromSpan,
    ReceiveFromAddress,
    SendToArray,
    SendToSpan,
    SendToAddress,
    Accept,
    Connect,
    Poll,
    Select,
    TaskWait,
    SemaphoreWait,
    EventWait,
    Sleep,
}
