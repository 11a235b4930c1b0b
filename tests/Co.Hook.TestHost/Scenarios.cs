/// <summary>The check every hook scenario makes: a failed condition throws, and the host reports the exception.</summary>
internal static class Scenarios
{
    internal static void Check(bool condition, string failure)
    {
        if (!condition)
        {
            throw new InvalidOperationException(failure);
        }
    }
}
