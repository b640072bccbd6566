using Re4.Recommenders.Data;
using Re4.Recommenders.Scoring;
using Re4.Recommenders.Tests.Scoring;
using Re4.Recommenders.USearch;

namespace Re4.Recommenders.Tests.USearch;

/// <summary><see cref="USearchCandidateScorer"/>: the exact answers where the graph search is exhaustive, recall against
/// the exact scorer on Beauty-sized galleries, exclusions, and concurrent calls.</summary>
public sealed class USearchCandidateScorerTests
{
    private const int D = 64, K = 4, TopN = 50;

    [Fact]
    public void Retrieve_SmallGallery_MatchesNaiveExactly()
    {
        // 150 items and expansion_search 256: max(N, ef) covers the gallery, so every item is re-scored and the list is exact. Values
        // are multiples of 1/2 in [−2, 2] (every dot product exact in float, many ties between items and interests), so
        // the tie-break by lower item id and lower interest is checked too.
        const int n = 150, d = 8, k = 3, b = 6, top = 20;
        var rng = new Random(5);
        var table = new float[(n + 1) * d];
        for (var i = d; i < table.Length; i++) table[i] = rng.Next(-4, 5) / 2f;
        var query = new float[b * k * d];
        for (var i = 0; i < query.Length; i++) query[i] = rng.Next(-4, 5) / 2f;
        var exclude = HistoryBatch.FromHistories([[1, 2, 3], [], [150, 149], [7], [], [10, 20, 30, 40]]);
        using var scorer = USearchCandidateScorer.Build(new ItemEmbeddingTable(table, d), new USearchScorerOptions { Threads = 2 });

        var result = scorer.Retrieve(new CandidateQuery(query, b, k, exclude), top);

        for (var user = 0; user < b; user++)
        {
            var (items, scores, interests) = ScorerAgreementTests.Naive(table, d, query, user, k, top, exclude[user]);
            result.Items.AsSpan(user * top, top).ToArray().Should().Equal(items, $"user {user}'s items");
            result.Scores.AsSpan(user * top, top).ToArray().Should().Equal(scores, $"user {user}'s scores");
            result.Interests.AsSpan(user * top, top).ToArray().Should().Equal(interests, $"user {user}'s interests");
        }
    }

    [Theory]
    [InlineData("uniform")]
    [InlineData("clustered")]
    public void Retrieve_BeautySizedGallery_RecallAt50AgainstExactIsAtLeast95Percent(string kind)
    {
        var table = new ItemEmbeddingTable(kind == "uniform"
            ? USearchTestData.Uniform(11, USearchTestData.BeautyItems, D)
            : USearchTestData.Clustered(11, USearchTestData.BeautyItems, D, topics: 50), D);
        var query = new CandidateQuery(USearchTestData.Vectors(12, 64 * K * D), 64, K);   // 64·K rows of d
        using var scorer = USearchCandidateScorer.Build(table);

        var recall = USearchTestData.Recall(new ManagedCandidateScorer(table).Retrieve(query, TopN), scorer.Retrieve(query, TopN));

        recall.Should().BeGreaterThanOrEqualTo(0.95, $"the default options promise recall@50 ≥ 0.95 ({kind}: {recall:F3})");
    }

    [Fact]
    public void Retrieve_WithExclusions_NeverReturnsThemAndStillFillsTheList()
    {
        // The hardest exclusion: each user's own exact top 50. The filtered graph search must go past them.
        var table = new ItemEmbeddingTable(USearchTestData.Uniform(21, 5000, D), D);
        var vectors = USearchTestData.Vectors(22, 16 * K * D);
        var exact = new ManagedCandidateScorer(table);
        var top = exact.Retrieve(new CandidateQuery(vectors, 16, K), TopN);
        var exclude = HistoryBatch.FromHistories(Enumerable.Range(0, 16).Select(u => top.ItemsOf(u).ToArray()).ToArray());
        var query = new CandidateQuery(vectors, 16, K, exclude);
        using var scorer = USearchCandidateScorer.Build(table);

        var result = scorer.Retrieve(query, TopN);

        for (var user = 0; user < 16; user++)
        {
            result.ItemsOf(user).ToArray().Should().NotIntersectWith(exclude[user].ToArray(), $"user {user}'s history is excluded");
            result.ItemsOf(user).ToArray().Should().NotContain(0, "5000 items leave plenty to fill 50 slots");
        }

        USearchTestData.Recall(exact.Retrieve(query, TopN), result).Should().BeGreaterThanOrEqualTo(0.95);
    }

    [Fact]
    public void Retrieve_MoreSlotsThanItemsLeft_PadsWithItemZero()
    {
        var table = new ItemEmbeddingTable(USearchTestData.Uniform(31, 5, 4), 4);
        using var scorer = USearchCandidateScorer.Build(table, new USearchScorerOptions { Threads = 1 });

        var result = scorer.Retrieve(new CandidateQuery(new float[] { 1, 0, 0, 0 }, 1, 1, HistoryBatch.FromHistories([[2, 4]])), 5);

        result.Items.Should().HaveCount(5);
        result.Items.Take(3).Should().BeEquivalentTo([1, 3, 5]);
        result.Items.Skip(3).Should().Equal(0, 0);
        result.Scores.Skip(3).Should().Equal(float.NegativeInfinity, float.NegativeInfinity);
        result.Interests.Skip(3).Should().Equal(-1, -1);
    }

    [Theory]
    [InlineData(2, false)]
    [InlineData(8, true)]
    public async Task Retrieve_ConcurrentCalls_GiveTheSequentialAnswers(int threads, bool loaded)
    {
        // More callers than native search contexts (2 here; 8, more than this machine's cores, on a loaded index): each
        // call must wait for a context, never fail or mix answers.
        using var dir = new TempDir();
        var table = new ItemEmbeddingTable(USearchTestData.Uniform(41, 3000, D), D);
        var options = new USearchScorerOptions { Threads = threads };
        var scorer = USearchCandidateScorer.Build(table, options);
        if (loaded)
        {
            var path = Path.Combine(dir.Path, USearchCandidateScorer.IndexFileName);
            scorer.Save(path);
            scorer.Dispose();
            scorer = USearchCandidateScorer.Load(path, table, options);
        }

        using var _ = scorer;
        var queries = Enumerable.Range(0, 8).Select(i => new CandidateQuery(USearchTestData.Vectors(100 + i, 3 * K * D), 3, K,
            HistoryBatch.FromHistories([[i + 1], [], [i + 2, i + 3]]))).ToArray();
        var expected = queries.Select(q => scorer.Retrieve(q, TopN)).ToArray();

        var results = await Task.WhenAll(Enumerable.Range(0, 48).Select(call => Task.Run(() => (call % 8, scorer.Retrieve(queries[call % 8], TopN)))));

        foreach (var (which, result) in results)
        {
            result.Items.Should().Equal(expected[which].Items);
            result.Scores.Should().Equal(expected[which].Scores);
        }
    }

    [Fact]
    public void Retrieve_AfterDispose_Throws()
    {
        var scorer = USearchCandidateScorer.Build(new ItemEmbeddingTable(USearchTestData.Uniform(51, 10, 4), 4), new USearchScorerOptions { Threads = 1 });
        scorer.Dispose();

        var act = () => scorer.Retrieve(new CandidateQuery(new float[4], 1, 1), 3);

        act.Should().Throw<ObjectDisposedException>();
    }

    [Theory]
    [InlineData(nameof(USearchScorerOptions.Connectivity), 1)]
    [InlineData(nameof(USearchScorerOptions.ExpansionAdd), 0)]
    [InlineData(nameof(USearchScorerOptions.ExpansionSearch), -3)]
    [InlineData(nameof(USearchScorerOptions.Threads), 0)]
    public void Build_OptionOutOfRange_ThrowsNamingIt(string option, int value)
    {
        var options = option switch
        {
            nameof(USearchScorerOptions.Connectivity) => new USearchScorerOptions { Connectivity = value },
            nameof(USearchScorerOptions.ExpansionAdd) => new USearchScorerOptions { ExpansionAdd = value },
            nameof(USearchScorerOptions.ExpansionSearch) => new USearchScorerOptions { ExpansionSearch = value },
            _ => new USearchScorerOptions { Threads = value },
        };

        var act = () => USearchCandidateScorer.Build(new ItemEmbeddingTable(new float[8], 4), options);

        act.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be(option);
    }
}
