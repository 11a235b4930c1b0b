namespace Co.Testing;

/// <summary>
/// The xunit trait of the adversarial suite: tests that attack the runtime and the hooks as a hostile user would — bad
/// input, connection resets, SIGKILLed peers, running out of descriptors, awaiting twice and other misuse. Mark a test
/// class or method with <c>[Trait(AdversarialSuite.Trait, AdversarialSuite.Name)]</c>; run the suite alone with
/// <c>dotnet test --filter Suite=Adversarial</c>. <c>./build.sh test</c> runs it as a pass of its own and reports its
/// count in the summary (tests/README.md).
/// </summary>
public static class AdversarialSuite
{
    /// <summary>The trait's name.</summary>
    public const string Trait = "Suite";

    /// <summary>The trait's value.</summary>
    public const string Name = "Adversarial";
}
