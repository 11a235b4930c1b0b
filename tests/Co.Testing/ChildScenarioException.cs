namespace Co.Testing;

/// <summary>
/// A scenario's failure seen from the parent: the child's exception type and message lead the message, its stack is
/// this exception's stack (so a test runner shows where in the scenario it was thrown), and the child's command line,
/// exit code and output follow.
/// </summary>
public sealed class ChildScenarioException : Exception
{
    private readonly string _childStack;

    /// <summary>The failure <paramref name="failure"/> of the run <paramref name="run"/>.</summary>
    public ChildScenarioException(ChildFailure failure, HostResult run)
        : base($"{failure.Type}: {failure.Message}\n(thrown in the child process{(failure.Inner is null ? "" : $"; inner exception: {failure.Inner}")})\n{run.Describe()}")
    {
        Failure = failure;
        _childStack = failure.StackTrace;
    }

    /// <summary>The child's exception.</summary>
    public ChildFailure Failure { get; }

    /// <summary>The stack of the child's exception, where the scenario threw.</summary>
    public override string StackTrace => _childStack;
}
