using Re4.Recommenders.Baselines;
using Re4.Recommenders.Data;

namespace Re4.Recommenders.Tests.Evaluation;

public sealed class MostPopularRecommenderTests
{
    // Counts for items 1..5 (index 0 is padding and must be ignored even when large):
    //   item 1: 3, item 2: 5, item 3: 5, item 4: 1, item 5: 0
    // By hand: 2 and 3 tie at 5 -> lower id first: [2, 3, 1, 4, 5], scores [5, 5, 3, 1, 0].
    private static readonly long[] Counts = [99, 3, 5, 5, 1, 0];

    private static (int[] Items, float[] Scores) Run(MostPopularRecommender rec, int topN, bool exclude, params int[][] histories)
    {
        var batch = HistoryBatch.FromHistories(histories);
        var items = new int[histories.Length * topN];
        var scores = new float[histories.Length * topN];
        rec.Recommend(batch, topN, exclude, items, scores);
        return (items, scores);
    }

    [Fact]
    public void Recommend_RanksByCount_BreakingTiesByLowerId()
    {
        var rec = new MostPopularRecommender(Counts);
        rec.Name.Should().Be("most-popular");
        rec.ItemCount.Should().Be(5);
        var (items, scores) = Run(rec, 5, false, [4]);
        items.Should().Equal(2, 3, 1, 4, 5);
        scores.Should().Equal(5f, 5f, 3f, 1f, 0f);
    }

    [Fact]
    public void Recommend_TakesThePrefix_WhenTopNIsShorterThanTheCatalogue()
    {
        var (items, scores) = Run(new MostPopularRecommender(Counts), 2, false, [1]);
        items.Should().Equal(2, 3);
        scores.Should().Equal(5f, 5f);
    }

    [Fact]
    public void Recommend_IgnoresTheHistory_WithoutExclusion()
    {
        var (items, _) = Run(new MostPopularRecommender(Counts), 3, false, [2, 3], []);
        items.Should().Equal(2, 3, 1, 2, 3, 1);
    }

    [Fact]
    public void Recommend_SkipsEachUsersOwnItems_WithExcludeHistory()
    {
        // user 0 history {3, 4} -> [2, 1, 5]; user 1 history {2} -> [3, 1, 4]; user 2 empty -> [2, 3, 1].
        var (items, scores) = Run(new MostPopularRecommender(Counts), 3, true, [3, 4, 3], [2], []);
        items.Should().Equal(2, 1, 5, 3, 1, 4, 2, 3, 1);
        scores.Should().Equal(5f, 3f, 0f, 5f, 3f, 1f, 5f, 5f, 3f);
    }

    [Fact]
    public void Recommend_PadsWithItemZeroAndNegativeInfinity_WhenTheCatalogueIsSmallerThanN()
    {
        var (items, scores) = Run(new MostPopularRecommender(Counts), 7, false, [1]);
        items.Should().Equal(2, 3, 1, 4, 5, 0, 0);
        scores.Should().Equal(5f, 5f, 3f, 1f, 0f, float.NegativeInfinity, float.NegativeInfinity);
    }

    [Fact]
    public void Recommend_PadsToo_WhenExclusionShrinksTheCatalogueBelowN()
    {
        // History {1, 2, 3}: only 4 and 5 are left for N = 4.
        var (items, scores) = Run(new MostPopularRecommender(Counts), 4, true, [1, 2, 3]);
        items.Should().Equal(4, 5, 0, 0);
        scores.Should().Equal(1f, 0f, float.NegativeInfinity, float.NegativeInfinity);
    }

    [Fact]
    public void Recommend_OverwritesStaleOutputSlots()
    {
        var rec = new MostPopularRecommender(Counts);
        var items = Enumerable.Repeat(77, 7).ToArray();
        var scores = Enumerable.Repeat(77f, 7).ToArray();
        rec.Recommend(HistoryBatch.FromHistories([[1]]), 7, false, items, scores);
        items.Should().Equal(2, 3, 1, 4, 5, 0, 0);
        scores[5..].Should().Equal(float.NegativeInfinity, float.NegativeInfinity);
    }

    [Fact]
    public void Constructor_CopiesTheCounts()
    {
        var counts = (long[])Counts.Clone();
        var rec = new MostPopularRecommender(counts);
        counts[5] = 1000;
        Run(rec, 1, false, [1]).Items.Should().Equal(2);
    }

    [Fact]
    public void Constructor_CountsTrainingSequencesOnly_ForASplit()
    {
        // 4 users, items 1..4 (original ids 10, 20, 30, 40). Leave-one-out trains on all but the last two items of
        // users with >= 3 items, and on everything of shorter users:
        //   u0: [1, 2, 3, 4]  -> trains on [1, 2]
        //   u1: [4, 4, 4]     -> trains on [4]
        //   u2: [3, 3]        -> trains on [3, 3]
        //   u3: [2, 1, 1, 1, 1] -> trains on [2, 1, 1]
        // Training counts: item 1: 3, item 2: 2, item 3: 2, item 4: 1 -> [1, 2, 3, 4] (2 and 3 tie -> 2 first).
        int[] offsets = [0, 4, 7, 9, 14];
        int[] seq = [1, 2, 3, 4, 4, 4, 4, 3, 3, 2, 1, 1, 1, 1];
        var dataset = new SequenceDataset("toy", offsets, seq, [100, 101, 102, 103], [0, 10, 20, 30, 40]);
        var split = DataSplitter.LeaveOneOut(dataset);
        split.TrainItemFrequencies().Should().Equal(0L, 3L, 2L, 2L, 1L);
        var (items, scores) = Run(new MostPopularRecommender(split), 4, false, [1]);
        items.Should().Equal(1, 2, 3, 4);
        scores.Should().Equal(3f, 2f, 2f, 1f);
    }

    [Fact]
    public void Constructor_ThrowsForNullSplit()
    {
        FluentActions.Invoking(() => new MostPopularRecommender((DataSplit)null!)).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void Constructor_ThrowsForNullCounts()
    {
        FluentActions.Invoking(() => new MostPopularRecommender((long[])null!)).Should().Throw<ArgumentNullException>();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Constructor_ThrowsForCountsWithoutItems(int length)
    {
        FluentActions.Invoking(() => new MostPopularRecommender(new long[length])).Should().Throw<ArgumentException>();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Recommend_ThrowsForNonPositiveTopN(int topN)
    {
        var rec = new MostPopularRecommender(Counts);
        FluentActions.Invoking(() => rec.Recommend(HistoryBatch.FromHistories([[1]]), topN, false, new int[5], new float[5]))
            .Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Recommend_ThrowsForTooSmallOutputs()
    {
        var rec = new MostPopularRecommender(Counts);
        var batch = HistoryBatch.FromHistories([[1], [2]]);
        FluentActions.Invoking(() => rec.Recommend(batch, 3, false, new int[5], new float[6])).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => rec.Recommend(batch, 3, false, new int[6], new float[5])).Should().Throw<ArgumentException>();
    }
}
