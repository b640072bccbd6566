using Re4.Recommenders.Hosting;
using Re4.Recommenders.Models;
using Re4.Recommenders.Scoring;

namespace Re4.Recommenders.Tests.Hosting;

/// <summary>The request policy of the serving facade: unknown items rejected (typed, listed, with the parameter) or
/// skipped, the popular-items fallback, exclusion by set and by predicate, batches and the scorer option. Expected
/// lists come from the fixture's naive double-loop ranking.</summary>
public sealed class RequestPolicyTests : IDisposable
{
    private readonly HostingFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    private Re4RecommenderService Serve(UnknownItemPolicy policy = UnknownItemPolicy.Reject, ServingScorer scorer = ServingScorer.Auto) =>
        new(new Re4RecommenderOptions { CheckpointPath = _fixture.RunPath, UnknownItems = policy, Scorer = scorer });

    private static void ShouldMatch(Recommendation actual, List<(long Item, double Score, int Interest)> expected)
    {
        actual.IsFallback.Should().BeFalse();
        actual.Items.Should().Equal(expected.Select(e => e.Item));
        actual.Interests.Should().Equal(expected.Select(e => e.Interest));
        actual.Scores.Select(s => (double)s).Should().Equal(expected.Select(e => e.Score), (a, b) => Math.Abs(a - b) < 1e-5);
    }

    [Fact]
    public void Recommend_ThrowsUnknownItemsExceptionListingThem_WhenRejecting()
    {
        using var service = Serve();
        var e = service.Invoking(s => s.Recommend([42, 123456, 501, 99], 5)).Should().Throw<UnknownItemsException>().Which;
        e.UnknownItems.Should().Equal(123456, 99);
        e.ParamName.Should().Be("request.History");
        e.RequestIndex.Should().BeNull();
        e.Message.Should().Be("The model does not know items 123456, 99 (unseen in training or removed by the data filter).");
    }

    [Fact]
    public void Recommend_SkipsUnknownItemsAndListsThem_WhenSkipping()
    {
        using var service = Serve(UnknownItemPolicy.Skip);
        var result = service.Recommend([42, 123456, 501, 99], 4);
        ShouldMatch(result, _fixture.Expected([42, 501], 4, excludeHistory: true));
        result.SkippedItems.Should().Equal(123456, 99);
    }

    [Fact]
    public void Recommend_RequestPolicyOverridesTheService()
    {
        using var service = Serve(UnknownItemPolicy.Skip);
        service.Invoking(s => s.Recommend(new RecommendationRequest([42, 99], 3) { UnknownItems = UnknownItemPolicy.Reject }))
            .Should().Throw<UnknownItemsException>().Which.UnknownItems.Should().Equal(99);
    }

    [Fact]
    public void Recommend_FallsBackToPopularItems_ForAnEmptyHistory()
    {
        using var service = Serve();
        var result = service.Recommend([], 3);
        result.IsFallback.Should().BeTrue();
        // Dense ids 1, 2, 3 are the three most frequent items (DatasetPreparation numbers by decreasing frequency).
        result.Items.Should().Equal(501, 77, 9000000001);
        result.Scores.Should().Equal(0f, 0f, 0f);
        result.Interests.Should().Equal(-1, -1, -1);
    }

    [Fact]
    public void Recommend_FallsBackToPopularItemsAfterExclusions_WhenEveryItemIsUnknownAndSkipped()
    {
        using var service = Serve(UnknownItemPolicy.Skip);
        var result = service.Recommend(new RecommendationRequest([123, 456], 3) { ExcludeItems = [77], ExcludeWhere = id => id == 3 });
        result.IsFallback.Should().BeTrue();
        result.SkippedItems.Should().Equal(123, 456);
        result.Items.Should().Equal(new long[] { 501, 9000000001, 42 }, "dense 2 (77) and 4 (3) are excluded");
    }

    [Fact]
    public void Recommend_NeverReturnsExcludedItems_GivenASet()
    {
        using var service = Serve();
        long[] history = [9000000001, 42];
        var first = _fixture.Expected(history, 2, excludeHistory: true).Select(e => e.Item).ToHashSet();
        first.Add(123456);   // unknown ids in the set are ignored
        var result = service.Recommend(new RecommendationRequest(history, 4) { ExcludeItems = first });
        ShouldMatch(result, _fixture.Expected(history, 4, excludeHistory: true, first.Contains));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public void Recommend_NeverReturnsItemsThePredicateRejects_EvenWhenItRejectsMostCandidates(int top)
    {
        using var service = Serve();
        long[] history = [7];
        // Rejects every item but two: the service must look past its first, shallow retrieval.
        Func<long, bool> outOfStock = id => id != 65 && id != 501;
        var result = service.Recommend(new RecommendationRequest(history, top) { ExcludeWhere = outOfStock });
        var expected = _fixture.Expected(history, top, excludeHistory: true, outOfStock);
        expected.Should().HaveCount(Math.Min(top, 2));
        ShouldMatch(result, expected);
    }

    [Fact]
    public void RecommendBatch_EqualsOneCallPerRequest()
    {
        using var service = Serve(UnknownItemPolicy.Skip);
        RecommendationRequest[] requests =
        [
            new([9000000001, 42, 7], 5),
            new([], 2),
            new([501], 3) { ExcludeWhere = id => id == 1000 },
            new([77, 4242], 8) { ExcludeItems = [65] },
        ];
        var batch = service.RecommendBatch(requests);
        batch.Should().HaveCount(requests.Length);
        for (var i = 0; i < requests.Length; i++)
        {
            var single = service.Recommend(requests[i]);
            batch[i].Items.Should().Equal(single.Items, "request {0}", i);
            batch[i].Scores.Should().Equal(single.Scores, "request {0}", i);
            batch[i].Interests.Should().Equal(single.Interests, "request {0}", i);
            batch[i].IsFallback.Should().Be(single.IsFallback);
            batch[i].SkippedItems.Should().Equal(single.SkippedItems);
        }

        ShouldMatch(batch[0], _fixture.Expected([9000000001, 42, 7], 5, excludeHistory: true));
        batch[1].IsFallback.Should().BeTrue();
    }

    [Fact]
    public void RecommendBatch_ThrowsNamingTheRequest_WhenOneHoldsUnknownItems()
    {
        using var service = Serve();
        var e = service.Invoking(s => s.RecommendBatch([new([42], 2), new([42, 99], 2)])).Should().Throw<UnknownItemsException>().Which;
        e.RequestIndex.Should().Be(1);
        e.ParamName.Should().Be("requests[1].History");
        e.Message.Should().StartWith("requests[1]: The model does not know item 99");
    }

    [Fact]
    public void RecommendBatch_ThrowsForTopOutOfRange()
    {
        using var service = new Re4RecommenderService(new Re4RecommenderOptions { CheckpointPath = _fixture.RunPath, MaxTop = 4 });
        service.Invoking(s => s.RecommendBatch([new([42], 2), new([42], 5)])).Should().Throw<ArgumentOutOfRangeException>()
            .Which.ParamName.Should().Be("requests[1].Top");
    }

    [Fact]
    public void Recommend_GivesTheSameLists_WithEitherExactScorer()
    {
        using var managed = Serve(scorer: ServingScorer.Managed);
        using var torchScorer = Serve(scorer: ServingScorer.Torch);
        long[] history = [9000000001, 42, 7];
        ShouldMatch(managed.Recommend(history, 5), _fixture.Expected(history, 5, excludeHistory: true));
        ShouldMatch(torchScorer.Recommend(history, 5), _fixture.Expected(history, 5, excludeHistory: true));
    }

    [Fact]
    public void Recommend_UsesTheScorerFactory_WhenOneIsGiven()
    {
        var built = 0;
        using var service = new Re4RecommenderService(new Re4RecommenderOptions
        {
            CheckpointPath = _fixture.RunPath,
            ScorerFactory = model =>
            {
                built++;
                return new ManagedCandidateScorer(MultiInterestRecommender.ItemTable(model));
            },
        });
        built.Should().Be(1);
        ShouldMatch(service.Recommend([42], 3), _fixture.Expected([42], 3, excludeHistory: true));
    }
}
