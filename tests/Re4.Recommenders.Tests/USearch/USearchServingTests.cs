using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Hosting;
using Re4.Recommenders.Models;
using Re4.Recommenders.Tests.Hosting;
using Re4.Recommenders.Training;
using Re4.Recommenders.USearch;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.USearch;

/// <summary>The service retrieving through USearch: same answers as the exact service (exactly on a gallery the graph
/// search covers, at the promised recall on a Beauty-sized one), the index saved in the model folder and reused.</summary>
public sealed class USearchServingTests : IDisposable
{
    private readonly HostingFixture _fixture = new();

    private string IndexPath => Path.Combine(_fixture.RunPath, MultiInterestTrainer.ModelFolder, USearchCandidateScorer.IndexFileName);

    [Fact]
    public void Recommend_SmallModel_MatchesTheNaiveRanking()
    {
        using var service = new Re4RecommenderService(new Re4RecommenderOptions { CheckpointPath = _fixture.RunPath }.UseUSearch());

        long[] history = [42, 501];
        var result = service.Recommend(history, 5);

        var expected = _fixture.Expected(history, 5, excludeHistory: true);
        result.Items.Should().Equal(expected.Select(e => e.Item));
        result.Interests.Should().Equal(expected.Select(e => e.Interest));
        result.Scores.Select(s => (double)s).Should().Equal(expected.Select(e => e.Score), (a, b) => Math.Abs(a - b) < 1e-5);
    }

    [Fact]
    public void Service_SavesTheIndexInTheModelFolder_AndReusesItAtTheNextStart()
    {
        using (var first = new Re4RecommenderService(new Re4RecommenderOptions { CheckpointPath = _fixture.RunPath }.UseUSearch()))
            first.Recommend([42], 3);
        var written = File.GetLastWriteTimeUtc(IndexPath);
        var bytes = File.ReadAllBytes(IndexPath);

        using var second = new Re4RecommenderService(new Re4RecommenderOptions { CheckpointPath = _fixture.RunPath }.UseUSearch());
        second.Recommend([42], 3);

        File.GetLastWriteTimeUtc(IndexPath).Should().Be(written, "a matching index is loaded, not rebuilt");
        File.ReadAllBytes(IndexPath).Should().Equal(bytes);
        ModelCheckpoint.Load(_fixture.RunPath).Dispose();   // the extra file does not disturb the checkpoint's own checks
    }

    [Fact]
    public void AddRe4USearch_FromConfiguration_ServesThroughUSearch()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Re4:Models:a:CheckpointPath"] = _fixture.RunPath,
            ["Re4:USearch:a:ExpansionSearch"] = "64",
        }).Build();
        var services = new ServiceCollection();
        services.AddKeyedRe4Recommender("a", configuration.GetSection("Re4:Models:a"));
        services.AddRe4USearch("a", configuration.GetSection("Re4:USearch:a"));
        using var provider = services.BuildServiceProvider();

        var service = provider.GetRequiredKeyedService<IRe4Recommender>("a");
        var result = service.Recommend([42, 501], 4);

        result.Items.Should().Equal(_fixture.Expected([42, 501], 4, excludeHistory: true).Select(e => e.Item));
        File.Exists(IndexPath).Should().BeTrue("the USearch factory built and saved the index");
    }

    [Fact]
    public void AddRe4USearch_UnknownKey_IsAnErrorNamingIt()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Re4:USearch:a:Conectivity"] = "16",
        }).Build();

        var act = () => new ServiceCollection().AddRe4USearch("a", configuration.GetSection("Re4:USearch:a"));

        act.Should().Throw<InvalidOperationException>().WithMessage("*Conectivity*");
    }

    [Fact]
    public void Recommend_BeautySizedModel_RecallAt50AgainstTheExactServiceIsAtLeast95Percent()
    {
        using var dir = new TempDir();
        manual_seed(3);
        const int items = USearchTestData.BeautyItems;
        using (var model = new MultiInterestModel(new ModelConfig { Encoder = ComiRecSaDescriptor.EncoderName, ItemCount = items, Dimension = 64, Interests = 4, MaxLength = 20 }))
            ModelCheckpoint.Save(dir.Path, model, Enumerable.Range(0, items + 1).Select(i => (long)i).ToArray());
        using var exact = new Re4RecommenderService(new Re4RecommenderOptions { CheckpointPath = dir.Path, Scorer = ServingScorer.Managed });
        using var approximate = new Re4RecommenderService(new Re4RecommenderOptions { CheckpointPath = dir.Path }.UseUSearch());
        var rng = new Random(4);

        double sum = 0;
        const int users = 40;
        for (var user = 0; user < users; user++)
        {
            var history = Enumerable.Range(0, rng.Next(1, 21)).Select(_ => (long)rng.Next(1, items + 1)).ToArray();
            var truth = exact.Recommend(history, 50).Items.ToHashSet();
            var found = approximate.Recommend(history, 50).Items;
            found.Should().NotIntersectWith(history);
            sum += found.Count(truth.Contains) / 50.0;
        }

        (sum / users).Should().BeGreaterThanOrEqualTo(0.95);
    }

    public void Dispose() => _fixture.Dispose();
}
