namespace Co.Testing;

/// <summary>An exception thrown by a scenario in a child process, as its <c>FAIL</c> line carries it.</summary>
/// <param name="Type">The exception's full type name.</param>
/// <param name="Message">Its message.</param>
/// <param name="StackTrace">Its stack trace in the child.</param>
/// <param name="Inner">Its inner exception as <see cref="Exception.ToString"/> gives it, or null.</param>
public sealed record ChildFailure(string Type, string Message, string StackTrace, string? Inner)
{
    /// <summary>What <paramref name="exception"/> says of itself.</summary>
    public static ChildFailure From(Exception exception) =>
        new(exception.GetType().FullName ?? exception.GetType().Name, exception.Message, exception.StackTrace ?? "", exception.InnerException?.ToString());
}
