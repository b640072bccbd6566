using Microsoft.Extensions.DependencyInjection;
using Re4.Recommenders.Hosting;

namespace Re4.Recommenders.Tests.Hosting;

/// <summary>The serving facade: original ids in and out, the naive ranking, concurrent calls equal to sequential ones,
/// and option and input errors that name what is wrong.</summary>
public sealed class Re4RecommenderServiceTests : IDisposable
{
    private readonly HostingFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    private static void ShouldMatch(Recommendation actual, List<(long Item, double Score, int Interest)> expected)
    {
        actual.Items.Should().Equal(expected.Select(e => e.Item));
        actual.Interests.Should().Equal(expected.Select(e => e.Interest));
        actual.Scores.Select(s => (double)s).Should().Equal(expected.Select(e => e.Score), (a, b) => Math.Abs(a - b) < 1e-5);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Recommend_ReturnsTheNaiveRankingInOriginalIds(bool excludeHistory)
    {
        using var service = new Re4RecommenderService(new Re4RecommenderOptions { CheckpointPath = _fixture.RunPath, ExcludeHistory = excludeHistory });
        long[] history = [9000000001, 42, 7];
        var result = service.Recommend(history, 5);
        ShouldMatch(result, _fixture.Expected(history, 5, excludeHistory));
        if (excludeHistory) result.Items.Should().NotIntersectWith(history);
    }

    [Fact]
    public void Recommend_StopsAtTheCataloguesEnd_ForAListLongerThanTheCatalogue()
    {
        using var service = new Re4RecommenderService(_fixture.RunPath);
        long[] history = [501, 77];
        var result = service.Recommend(history, 50);
        result.Items.Should().HaveCount(HostingFixture.N - 2, "8 items minus the 2 of the history");
        ShouldMatch(result, _fixture.Expected(history, 50, excludeHistory: true));
    }

    [Fact]
    public void Recommend_GivesTheSequentialResults_ForConcurrentCalls()
    {
        using var service = new Re4RecommenderService(_fixture.RunPath);
        var random = new Random(5);
        var histories = Enumerable.Range(0, 64)
            .Select(_ => Enumerable.Range(0, random.Next(1, 7)).Select(_ => HostingFixture.OriginalIds[random.Next(1, HostingFixture.N + 1)]).ToArray())
            .ToArray();
        var sequential = histories.Select(h => service.Recommend(h, 4)).ToArray();
        var parallel = new Recommendation[histories.Length];
        Parallel.For(0, histories.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => parallel[i] = service.Recommend(histories[i], 4));
        for (var i = 0; i < histories.Length; i++)
        {
            parallel[i].Items.Should().Equal(sequential[i].Items, "history {0}", i);
            parallel[i].Scores.Should().Equal(sequential[i].Scores, "history {0}", i);
            parallel[i].Interests.Should().Equal(sequential[i].Interests, "history {0}", i);
        }
    }

    [Fact]
    public void Recommend_ThrowsNamingTheProblem_ForInputErrors()
    {
        using var service = new Re4RecommenderService(new Re4RecommenderOptions { CheckpointPath = _fixture.RunPath, MaxTop = 20 });
        service.Knows(42).Should().BeTrue();
        service.Knows(43).Should().BeFalse();
        service.Invoking(s => s.Recommend([42, 123456, 501, 99], 5)).Should().Throw<ArgumentException>().WithMessage("*items 123456, 99*");
        service.Invoking(s => s.Recommend([42], 21)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*1..20*MaxTop*");
        service.Invoking(s => s.Recommend([42], 0)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Constructor_ThrowsNamingTheOption_ForOptionErrors()
    {
        FluentActions.Invoking(() => new Re4RecommenderService(new Re4RecommenderOptions()))
            .Should().Throw<ArgumentException>().WithMessage("Re4RecommenderOptions.CheckpointPath is required*");
        FluentActions.Invoking(() => new Re4RecommenderService(new Re4RecommenderOptions { CheckpointPath = _fixture.RunPath, MaxTop = 0 }))
            .Should().Throw<ArgumentOutOfRangeException>().WithMessage("Re4RecommenderOptions.MaxTop must be positive; it is 0.*");
        var missing = Path.Combine(_fixture.RunPath, "nothing-here");
        FluentActions.Invoking(() => new Re4RecommenderService(missing))
            .Should().Throw<InvalidDataException>().WithMessage($"Re4RecommenderOptions.CheckpointPath: {missing} holds no model*");
    }

    [Fact]
    public void AddRe4Recommender_RegistersOneSharedService_AndValidatesAtFirstUse()
    {
        var services = new ServiceCollection().AddRe4Recommender(_fixture.RunPath);
        Re4RecommenderService first;
        using (var provider = services.BuildServiceProvider())
        {
            first = provider.GetRequiredService<Re4RecommenderService>();
            provider.GetRequiredService<Re4RecommenderService>().Should().BeSameAs(first, "the checkpoint is loaded once");
            first.Recommend([42], 3).Items.Should().HaveCount(3);
        }

        // Without a host, the options are validated when the service is first resolved (a host validates at start).
        using var invalid = new ServiceCollection().AddRe4Recommender(o => o.MaxTop = 10).BuildServiceProvider();
        invalid.Invoking(p => p.GetRequiredService<Re4RecommenderService>())
            .Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("Re4RecommenderOptions.CheckpointPath is required*");
    }

    [Fact]
    public void AddRe4Recommender_IgnoresOptionsChangedAfterRegistration()
    {
        var options = new Re4RecommenderOptions { CheckpointPath = _fixture.RunPath, MaxTop = 3 };
        using var service = new Re4RecommenderService(options);
        options.MaxTop = 100;
        service.MaxTop.Should().Be(3);
    }
}
