using Re4.Recommenders.Scoring;

namespace Re4.Recommenders.Tests.Scoring;

public sealed class TopNCollectorTests
{
    private static (int[] Items, float[] Scores, int[] Interests) Drain(TopNCollector c, int n)
    {
        var items = new int[n];
        var scores = new float[n];
        var interests = new int[n];
        c.Drain(items, scores, interests);
        return (items, scores, interests);
    }

    /// <summary>Naive: sort all triples by score desc then item asc, take n, pad with (0, −∞, −1).</summary>
    private static (int[] Items, float[] Scores, int[] Interests) Naive(IEnumerable<(float S, int Item, int K)> triples, int n)
    {
        var top = triples.OrderByDescending(t => t.S).ThenBy(t => t.Item).Take(n).ToList();
        var items = top.Select(t => t.Item).Concat(Enumerable.Repeat(0, n - top.Count)).ToArray();
        var scores = top.Select(t => t.S).Concat(Enumerable.Repeat(float.NegativeInfinity, n - top.Count)).ToArray();
        var interests = top.Select(t => t.K).Concat(Enumerable.Repeat(-1, n - top.Count)).ToArray();
        return (items, scores, interests);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 30)]
    [InlineData(5, 3)]
    [InlineData(10, 200)]
    [InlineData(50, 49)]
    [InlineData(64, 1000)]
    public void Result_IsIndependentOfTheOfferOrder_AndEqualsNaiveSort(int capacity, int count)
    {
        var rng = new Random(capacity * 1000 + count);
        // Few distinct scores so that many ties are decided by the item id.
        var triples = Enumerable.Range(1, count).Select(item => (S: (float)rng.Next(0, 6), Item: item, K: rng.Next(0, 4))).ToList();
        var expected = Naive(triples, capacity);
        var collector = new TopNCollector(capacity);
        for (var perm = 0; perm < 20; perm++)
        {
            var order = perm switch
            {
                0 => triples,
                1 => Enumerable.Reverse(triples).ToList(),
                _ => triples.OrderBy(_ => rng.Next()).ToList(),
            };
            collector.Reset();
            foreach (var t in order) collector.Offer(t.S, t.Item, t.K);
            var got = Drain(collector, capacity);
            got.Items.Should().Equal(expected.Items, $"permutation {perm}");
            got.Scores.Should().Equal(expected.Scores, $"permutation {perm}");
            got.Interests.Should().Equal(expected.Interests, $"permutation {perm}");
        }
    }

    [Fact]
    public void Threshold_IsNegativeInfinityUntilFull_ThenTheWorstKeptScore()
    {
        var c = new TopNCollector(3);
        c.Threshold.Should().Be(float.NegativeInfinity);
        c.Offer(5, 1, 0);
        c.Offer(1, 2, 0);
        c.Threshold.Should().Be(float.NegativeInfinity);
        c.Offer(3, 3, 0);
        c.Threshold.Should().Be(1);
        c.Offer(4, 4, 0);   // evicts (1, item 2)
        c.Threshold.Should().Be(3);
        Drain(c, 3).Items.Should().Equal(1, 4, 3);
    }

    [Fact]
    public void Offer_EvictsAnEqualScoreForALowerIdButNotForAHigherId()
    {
        var c = new TopNCollector(1);
        c.Offer(2, 7, 0);
        c.Offer(2, 9, 1);   // same score, higher id: worse
        Drain(c, 1).Items.Should().Equal(7);
        c.Reset();
        c.Offer(2, 7, 0);
        c.Offer(2, 3, 1);   // same score, lower id: better
        var (items, _, interests) = Drain(c, 1);
        items.Should().Equal(3);
        interests.Should().Equal(1);
    }

    [Fact]
    public void Drain_PadsWhenFewerThanCapacityWereOffered_AndEmptiesTheCollector()
    {
        var c = new TopNCollector(4);
        c.Offer(-1, 5, 2);
        c.Offer(-1, 2, 3);
        var (items, scores, interests) = Drain(c, 4);
        items.Should().Equal(2, 5, 0, 0);
        scores.Should().Equal(-1f, -1f, float.NegativeInfinity, float.NegativeInfinity);
        interests.Should().Equal(3, 2, -1, -1);
        Drain(c, 4).Items.Should().Equal(0, 0, 0, 0);
    }

    [Fact]
    public void Reset_ForgetsEverything()
    {
        var c = new TopNCollector(2);
        c.Offer(10, 1, 0);
        c.Offer(9, 2, 0);
        c.Reset();
        c.Threshold.Should().Be(float.NegativeInfinity);
        c.Offer(1, 3, 0);
        Drain(c, 2).Items.Should().Equal(3, 0);
    }
}
