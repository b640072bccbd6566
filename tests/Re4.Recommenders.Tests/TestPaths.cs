namespace Re4.Recommenders.Tests;

/// <summary>Locates the repository root and the shared data sets (<c>../shared/datasets</c> beside the repository).</summary>
internal static class TestPaths
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Re4.Recommenders.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Re4.Recommenders.sln not found above the test binaries.");
    });

    public static string RepositoryRoot => Root.Value;

    /// <summary>The shared data sets folder, or null when this checkout has none beside it.</summary>
    public static string? Datasets
    {
        get
        {
            var path = Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "datasets"));
            return Directory.Exists(path) ? path : null;
        }
    }

    /// <summary>A shared data file; throws with a clear message when the shared folder is missing.</summary>
    public static string Dataset(string relative)
    {
        var root = Datasets ?? throw new InvalidOperationException("../shared/datasets is missing beside the repository.");
        return Path.Combine(root, relative);
    }
}

/// <summary>A temporary folder deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "re4-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name, string contents)
    {
        var p = System.IO.Path.Combine(Path, name);
        System.IO.File.WriteAllText(p, contents);
        return p;
    }

    public string FileBytes(string name, byte[] contents)
    {
        var p = System.IO.Path.Combine(Path, name);
        System.IO.File.WriteAllBytes(p, contents);
        return p;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
