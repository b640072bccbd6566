using System.Diagnostics;

namespace Re4.Recommenders.Tests.Packaging;

/// <summary>Runs eng/pack-test.sh: the packed library, restored by a throwaway console app outside the repository, trains
/// and recommends. Part of the default suite because it takes about half a minute (pack, restore from the local feed
/// with the machine's package cache, build, train 600 small steps); <c>--filter Category!=Packaging</c> leaves it out.</summary>
[Trait("Category", "Packaging")]
public sealed class PackageTests
{
    [Fact]
    public async Task PackedLibrary_TrainsAndRecommends_FromASeparateProject()
    {
        var script = Path.Combine(TestPaths.RepositoryRoot, "eng", "pack-test.sh");
        var start = new ProcessStartInfo("bash", [script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = TestPaths.RepositoryRoot,
        };
        // `dotnet test` exports MSBuild settings of its own build to the test host; the script's builds must not inherit them.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(name);

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"eng/pack-test.sh ran for more than 10 minutes.\n{await stdout}");
        }

        var output = await stdout + await stderr;
        process.ExitCode.Should().Be(0, output);
        (await stdout).TrimEnd().Split('\n')[^1].Should().Be("pack-test: OK", output);
    }
}
