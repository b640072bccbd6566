using Microsoft.Extensions.DependencyInjection;
using Re4.Recommenders.Data;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Hosting;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;
using System.Text.RegularExpressions;

namespace Re4.Recommenders.Tests.Docs;

// The console app of docs/getting-started.md, step 5: its using lines head this file and its statements are the body of
// Program below, verbatim (the first test checks both), so the page's code compiles as written. It is not run here: it
// trains for about a minute; eng/pack-test.sh runs the same steps against the packed library.

/// <summary>The getting-started page: its console app compiles, and its package advice matches the repository's
/// pinned versions (issue 12, friction points 1 and 9).</summary>
public sealed class GettingStartedExampleTests
{
    internal static void Program()
    {
        var data = DatasetPreparation.Prepare(PlantedInterestGenerator.Generate(new SyntheticDataOptions()), DatasetFilter.ComiRec());
        var split = DataSplitter.ComiRec(data, seed: 2022);
        var config = new ModelConfig { Encoder = ComiRecSaDescriptor.EncoderName, ItemCount = data.ItemCount, Interests = 4 };
        using (var trainer = new MultiInterestTrainer(split, config, new TrainerOptions { MaxSteps = 2000, CheckpointDirectory = "runs/sa" }))
        {
            var result = trainer.Fit();
            Console.WriteLine($"test recall@50 = {result.Test!["recall@50"]:F3}");
        }

        // The trained model, loaded by hand: the run folder is accepted, and the model is disposable (it holds native memory).
        using (var loaded = ModelCheckpoint.Load("runs/sa"))
        {
            Console.WriteLine($"{loaded.Model.Config.ItemCount} items, K = {loaded.Model.Config.EffectiveInterests}");
        }

        // Serving through dependency injection: original item ids in and out; safe to call from many threads.
        var services = new ServiceCollection();
        services.AddRe4Recommender("runs/sa");
        using var provider = services.BuildServiceProvider();
        var recommender = provider.GetRequiredService<IRe4Recommender>();
        Recommendation r = recommender.Recommend(new long[] { 12, 873, 410 }, top: 10);
        Console.WriteLine(string.Join(" ", r.Items));
    }

    private static string Page(string relative) => File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, relative));

    private static string Squash(string text) => Regex.Replace(text, @"\s+", " ").Trim();

    [Fact]
    public void ConsoleApp_IsVerbatimInThisFile()
    {
        var page = Page(Path.Combine("docs", "getting-started.md"));
        var block = Regex.Matches(page, "```csharp\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value)
            .Should().ContainSingle(b => b.Contains("BuildServiceProvider")).Which;
        var lines = block.Split('\n');
        var usings = string.Join("\n", lines.TakeWhile(l => l.StartsWith("using ", StringComparison.Ordinal)));
        var statements = string.Join("\n", lines.SkipWhile(l => l.StartsWith("using ", StringComparison.Ordinal)));
        var source = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "tests", "Re4.Recommenders.Tests", "Docs", "GettingStartedExampleTests.cs"));
        source.Replace("\r\n", "\n").Should().StartWith(usings + "\n", "the page's using lines head this file");
        Squash(source).Should().Contain(Squash(statements));
    }

    [Fact]
    public void ConsoleApp_NamesEveryPackageItNeeds()
    {
        var page = Page(Path.Combine("docs", "getting-started.md"));
        page.Should().Contain("dotnet add package Microsoft.Extensions.DependencyInjection --version",
            "BuildServiceProvider lives in the container package, which the library does not bring");
    }

    [Fact]
    public void VersionAdvice_PinsTheBackendToTheLibrarysTorchSharp_Everywhere()
    {
        var props = Page("Directory.Packages.props");
        var torch = Regex.Match(props, "Include=\"TorchSharp\" Version=\"([^\"]+)\"").Groups[1].Value;
        Regex.Match(props, "Include=\"TorchSharp-cpu\" Version=\"([^\"]+)\"").Groups[1].Value.Should().Be(torch);
        var pages = new[] { "README.md", Path.Combine("src", "Re4.Recommenders", "PACKAGE.md") }
            .Concat(Directory.GetFiles(Path.Combine(TestPaths.RepositoryRoot, "docs"), "*.md").Select(f => Path.GetRelativePath(TestPaths.RepositoryRoot, f)));
        var advice = 0;
        foreach (var page in pages)
        {
            foreach (Match m in Regex.Matches(Page(page), @"dotnet add package (TorchSharp[\w.-]*)[^\n`]*"))
            {
                m.Value.Should().Contain($"--version {torch}", "{0} must pin {1} to the library's TorchSharp", page, m.Groups[1].Value);
                advice++;
            }
        }

        advice.Should().BeGreaterThanOrEqualTo(2, "the package page and the getting-started page both give the advice");
    }
}
