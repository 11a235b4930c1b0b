namespace Co.Scheduling;

/// <summary>
/// Thrown by the Debug build's checks of the baton invariant (<see cref="Baton"/>, docs/ARCHITECTURE.md) when runtime
/// code breaks it: a holder-only structure touched by a thread that is not its scheduler's holder, or by coroutine code
/// outside a holder section, or a thread that parks while it holds a spin gate. It means a runtime bug, never a user
/// error, so nothing in the runtime catches it, and one that escapes a coroutine ends the process
/// (<see cref="UnhandledExceptions"/>), as Go's <c>throw("runtime: ...")</c> does.
/// </summary>
internal sealed class BatonInvariantException(string message) : Exception("Baton invariant broken: " + message);
