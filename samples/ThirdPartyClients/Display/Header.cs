namespace ThirdPartyClients.Display;

/// <summary>The lines above the display: what is measured, so the numbers below can be read without the source.</summary>
internal static class Header
{
    /// <summary>Prints the set-up of this run; <paramref name="postgres"/> says where PostgreSQL came from.</summary>
    public static void Print(Options options, string postgres)
    {
        Console.WriteLine("Co for .NET: unmodified third-party clients making blocking calls from coroutines");
        Console.WriteLine($"per client: {options.Requests} sync coroutines on ONE scheduler, one blocking request each; every server answers " +
            $"after {options.DelayMs} ms (one at a time: {options.Requests * options.DelayMs / 1000.0:0.00} s)");
        Console.WriteLine($"PostgreSQL: {postgres}");
        Console.WriteLine();
    }
}
