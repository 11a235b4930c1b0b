using Co.TestHost;

namespace Co.Tests.UnderWine;

/// <summary>The <c>runtime-checks</c> run under Wine shared by <see cref="RuntimeUnderWineTests"/>.</summary>
public sealed class RuntimeChecksUnderWine() : CheckRunUnderWine(PortableScenarios.RuntimeChecks);
