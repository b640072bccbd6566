using System.Globalization;
using Re4.Recommenders.Data;
using Re4.Recommenders.Hosting;
using Re4.Recommenders.Models;

namespace Re4.Recommenders.Tests.Hosting;

/// <summary>The serving facade on a checkpoint whose item ids are text (SKUs): the fixture's model saved with the id of
/// dense item i = "SKU-" + the fixture's numeric id of i, four digits at least. Expected lists are the fixture's naive
/// ranking mapped to those ids.</summary>
public sealed class TextIdServingTests : IDisposable
{
    private readonly HostingFixture _fixture = new();
    private readonly TempDir _dir = new();

    public TextIdServingTests()
    {
        ModelCheckpoint.Save(_dir.Path, _fixture.Model, IdMap.FromStrings(HostingFixture.OriginalIds.Skip(1).Select(Key), firstIndex: 1));
    }

    public void Dispose()
    {
        _fixture.Dispose();
        _dir.Dispose();
    }

    /// <summary>The text id of the item whose numeric id in the fixture is <paramref name="id"/>.</summary>
    internal static string Key(long id) => "SKU-" + id.ToString("D4", CultureInfo.InvariantCulture);

    private Re4RecommenderService Serve(UnknownItemPolicy policy = UnknownItemPolicy.Reject) =>
        new(new Re4RecommenderOptions { CheckpointPath = _dir.Path, UnknownItems = policy });

    private static void ShouldMatch(Recommendation actual, List<(long Item, double Score, int Interest)> expected)
    {
        actual.IsFallback.Should().BeFalse();
        actual.ItemKeys.Should().Equal(expected.Select(e => Key(e.Item)));
        actual.Interests.Should().Equal(expected.Select(e => e.Interest));
        actual.Scores.Select(s => (double)s).Should().Equal(expected.Select(e => e.Score), (a, b) => Math.Abs(a - b) < 1e-5);
    }

    [Fact]
    public void RecommendKeys_ReturnsTheCheckpointsTextIds()
    {
        using var service = Serve();
        service.Model.NumericItemIds.Should().BeFalse();
        var result = service.RecommendKeys(["SKU-9000000001", "SKU-0042", "SKU-0007"], 4);
        ShouldMatch(result, _fixture.Expected([9000000001, 42, 7], 4, excludeHistory: true));
        result.NumericItemIds.Should().BeFalse();
        result.Invoking(r => r.Items.Count).Should().Throw<InvalidOperationException>().WithMessage("*text*ItemKeys*");
        service.Knows("SKU-0042").Should().BeTrue();
        service.Knows("42").Should().BeFalse();
        service.Knows(42).Should().BeFalse();
    }

    [Fact]
    public void RecommendKeys_ThrowsListingUnknownTextIds_WhenRejecting()
    {
        using var service = Serve();
        var e = service.Invoking(s => s.RecommendKeys(["SKU-0042", "B00NOPE", "SKU-0007", "X-1"], 3)).Should().Throw<UnknownItemsException>().Which;
        e.UnknownKeys.Should().Equal("B00NOPE", "X-1");
        e.UnknownItems.Should().BeEmpty();
        e.Message.Should().Contain("items B00NOPE, X-1");
        e.ParamName.Should().Be("request.HistoryKeys");
    }

    [Fact]
    public void RecommendKeys_SkipsUnknownTextIds_WhenSkipping()
    {
        using var service = Serve(UnknownItemPolicy.Skip);
        var result = service.RecommendKeys(["SKU-0042", "B00NOPE", "SKU-0007"], 3);
        ShouldMatch(result, _fixture.Expected([42, 7], 3, excludeHistory: true));
        result.SkippedKeys.Should().Equal("B00NOPE");
        result.SkippedItems.Should().BeEmpty();
    }

    [Fact]
    public void Recommend_ExcludesByTextIdSetAndPredicate()
    {
        using var service = Serve();
        var result = service.Recommend(new RecommendationRequest
        {
            HistoryKeys = ["SKU-0501"],
            Top = 4,
            ExcludeKeys = ["SKU-0077", "NOT-AN-ITEM"],
            ExcludeKeyWhere = key => key == "SKU-1000",
        });
        ShouldMatch(result, _fixture.Expected([501], 4, excludeHistory: true, id => id is 77 or 1000));
    }

    [Fact]
    public void Recommend_FallsBackToPopularTextIds_ForAnEmptyHistory()
    {
        using var service = Serve();
        // Popular order is dense order: SKU-0501, SKU-0077, SKU-9000000001, SKU-0003, ...; SKU-0077 is excluded.
        var result = service.Recommend(new RecommendationRequest { Top = 3, ExcludeKeys = ["SKU-0077"] });
        result.IsFallback.Should().BeTrue();
        result.ItemKeys.Should().Equal("SKU-0501", "SKU-9000000001", "SKU-0003");
    }

    [Fact]
    public void RecommendBatch_AnswersTextIdRequestsInOrder()
    {
        using var service = Serve(UnknownItemPolicy.Skip);
        var batch = service.RecommendBatch([RecommendationRequest.ForKeys(["SKU-9000000001", "SKU-0042"], 3), RecommendationRequest.ForKeys([], 2)]);
        ShouldMatch(batch[0], _fixture.Expected([9000000001, 42], 3, excludeHistory: true));
        batch[1].IsFallback.Should().BeTrue();
        batch[1].ItemKeys.Should().Equal("SKU-0501", "SKU-0077");
    }

    [Fact]
    public void Recommend_ThrowsNamingTheTextPredicate_ForANumericPredicateOnTextIds()
    {
        using var service = Serve();
        service.Invoking(s => s.Recommend(new RecommendationRequest { HistoryKeys = ["SKU-0042"], Top = 2, ExcludeWhere = _ => false }))
            .Should().Throw<InvalidOperationException>().WithMessage("*text*ExcludeKeyWhere*");
    }

    [Fact]
    public void Recommend_AnswersBothApisConsistently_ForANumericCheckpoint()
    {
        using var service = new Re4RecommenderService(_fixture.RunPath);
        service.Model.NumericItemIds.Should().BeTrue();
        var byNumbers = service.Recommend([9000000001, 42, 7], 5);
        var byText = service.RecommendKeys(["9000000001", "42", "7"], 5);
        var expected = _fixture.Expected([9000000001, 42, 7], 5, excludeHistory: true);
        byNumbers.Items.Should().Equal(expected.Select(e => e.Item));
        byText.Items.Should().Equal(byNumbers.Items);
        byText.ItemKeys.Should().Equal(expected.Select(e => e.Item.ToString(CultureInfo.InvariantCulture)));
        byNumbers.ItemKeys.Should().Equal(byText.ItemKeys);
        byText.Scores.Should().Equal(byNumbers.Scores);
        service.Knows("42").Should().BeTrue();
        service.Knows("042").Should().BeFalse("ids are matched as written, and 042 is not how 42 is written");

        var excluded = service.Recommend(new RecommendationRequest { HistoryKeys = ["42"], Top = 3, ExcludeKeys = ["77"], ExcludeKeyWhere = k => k == "65" });
        excluded.Items.Should().Equal(_fixture.Expected([42], 3, excludeHistory: true, id => id is 77 or 65).Select(e => e.Item));
        var e = service.Invoking(s => s.RecommendKeys(["42", "SKU-1"], 3)).Should().Throw<UnknownItemsException>().Which;
        e.UnknownKeys.Should().Equal("SKU-1");
    }
}
