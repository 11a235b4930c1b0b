namespace Co.Testing;

/// <summary>A child run that did not end with its scenario's <c>OK</c> or <c>FAIL</c> line (a crash, a kill at the
/// timeout, a non-zero exit), or a host-level check that failed; the message holds the run's description.</summary>
public sealed class ScenarioFailedException(string message) : Exception(message);
