namespace Co.Testing;

/// <summary>Finds another project's build output in the repository the tests were built in, for programs the tests run
/// from their own folder (a sample, the startup hook as the README tells users to find it).</summary>
public static class RepositoryBuild
{
    /// <summary><paramref name="project"/>/bin/&lt;configuration&gt;/&lt;framework&gt;/<paramref name="file"/> under the
    /// folder holding Co.sln above the tests, in the tests' own configuration and framework (the names of their output
    /// folder's parent and of the folder itself); throws, saying <paramref name="whyBuilt"/>, when it is missing.</summary>
    public static string Output(string project, string file, string whyBuilt)
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string configuration = output.Parent?.Name ?? "Release";
        string path = Path.Combine(Root(), project, "bin", configuration, output.Name, file);
        return File.Exists(path) ? path : throw new ScenarioFailedException($"{path} is missing, {whyBuilt}");
    }

    /// <summary>The repository's root: the folder holding Co.sln above the tests' output folder.</summary>
    public static string Root()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        DirectoryInfo? root = output;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Co.sln")))
        {
            root = root.Parent;
        }

        return root?.FullName ?? throw new ScenarioFailedException($"no Co.sln above {output.FullName}");
    }
}
