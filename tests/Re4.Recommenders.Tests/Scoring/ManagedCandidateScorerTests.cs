using Re4.Recommenders.Data;
using Re4.Recommenders.Scoring;

namespace Re4.Recommenders.Tests.Scoring;

public sealed class ManagedCandidateScorerTests
{
    /// <summary>The naive reference: score every item j (1..N) by max over k of the dot product (double accumulation;
    /// the first k reaching the max wins), drop excluded items, sort by score desc then item id asc, take topN.</summary>
    internal static List<(int Item, double Score, int Interest)> Naive(float[] table, int d, float[] query, int user, int k, int topN, ISet<int>? exclude = null)
    {
        var n = table.Length / d - 1;
        var all = new List<(int Item, double Score, int Interest)>();
        for (var item = 1; item <= n; item++)
        {
            if (exclude is not null && exclude.Contains(item)) continue;
            var best = double.NegativeInfinity;
            var winner = -1;
            for (var i = 0; i < k; i++)
            {
                var s = 0.0;
                for (var x = 0; x < d; x++) s += (double)query[(user * k + i) * d + x] * table[item * d + x];
                if (s > best)
                {
                    best = s;
                    winner = i;
                }
            }

            all.Add((item, best, winner));
        }

        return all.OrderByDescending(t => t.Score).ThenBy(t => t.Item).Take(topN).ToList();
    }

    /// <summary>Values that are multiples of 1/8 in [−2, 2]: every product is a multiple of 1/64 and every sum of
    /// up to 65 of them is exact in float, whatever the summation order, so scores can be compared exactly.</summary>
    private static float[] Dyadic(Random rng, int count)
    {
        var a = new float[count];
        for (var i = 0; i < a.Length; i++) a[i] = rng.Next(-16, 17) / 8f;
        return a;
    }

    private static float[] Gaussian(Random rng, int count)
    {
        var a = new float[count];
        for (var i = 0; i < a.Length; i++)
        {
            var u1 = 1.0 - rng.NextDouble();
            var u2 = rng.NextDouble();
            a[i] = (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }

        return a;
    }

    /// <summary>Asserts one user's result equals the naive list: same items, same scores (exact when
    /// <paramref name="exact"/>, else within 1e-4 relative), a winning interest that reaches the max, and the naive
    /// winner whenever that winner is unique; unfilled slots padded with 0 / −∞ / −1.</summary>
    private static void AssertUserMatches(CandidateResult result, int user, List<(int Item, double Score, int Interest)> expected,
        float[] table, int d, float[] query, int k, bool exact, string because)
    {
        var topN = result.TopN;
        var items = result.ItemsOf(user).ToArray();
        items.Take(expected.Count).Should().Equal(expected.Select(e => e.Item), because);
        for (var r = 0; r < expected.Count; r++)
        {
            var score = result.Scores[user * topN + r];
            if (exact)
                ((double)score).Should().Be(expected[r].Score, because);
            else
                ((double)score).Should().BeApproximately(expected[r].Score, 1e-4 * Math.Max(1, Math.Abs(expected[r].Score)), because);

            var interest = result.Interests[user * topN + r];
            interest.Should().BeInRange(0, k - 1, because);
            var item = expected[r].Item;
            var scores = Enumerable.Range(0, k).Select(i =>
            {
                var s = 0.0;
                for (var x = 0; x < d; x++) s += (double)query[(user * k + i) * d + x] * table[item * d + x];
                return s;
            }).ToArray();
            var max = scores.Max();
            if (exact) scores[interest].Should().Be(max, because);
            if (scores.Count(s => exact ? s == max : Math.Abs(s - max) <= 1e-4 * Math.Max(1, Math.Abs(max))) == 1)
                interest.Should().Be(expected[r].Interest, because);
        }

        for (var r = expected.Count; r < topN; r++)
        {
            result.Items[user * topN + r].Should().Be(0, because);
            result.Scores[user * topN + r].Should().Be(float.NegativeInfinity, because);
            result.Interests[user * topN + r].Should().Be(-1, because);
        }
    }

    public static IEnumerable<object[]> Shapes()
    {
        foreach (var d in new[] { 1, 8, 64, 65 })
        {
            foreach (var n in new[] { 1, 2, 17, 500, 3000 }) yield return [d, n];
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Retrieve_EqualsNaiveBruteForce_OnExactDyadicData(int d, int n)
    {
        foreach (var b in new[] { 1, 3, 7 })
        {
            foreach (var k in new[] { 1, 4 })
            {
                var rng = new Random(1000 * d + 10 * n + 3 * b + k);
                var table = Dyadic(rng, (n + 1) * d);
                var query = Dyadic(rng, b * k * d);
                var scorer = new ManagedCandidateScorer(new ItemEmbeddingTable(table, d));
                scorer.ItemCount.Should().Be(n);
                scorer.Dimension.Should().Be(d);
                foreach (var topN in new[] { 1, 10, 50, n + 7 })
                {
                    var result = scorer.Retrieve(new CandidateQuery(query, b, k), topN);
                    result.UserCount.Should().Be(b);
                    result.TopN.Should().Be(topN);
                    for (var user = 0; user < b; user++)
                    {
                        var expected = Naive(table, d, query, user, k, topN);
                        AssertUserMatches(result, user, expected, table, d, query, k, exact: true, $"d={d} n={n} b={b} k={k} topN={topN} user={user}");
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(3, 4, 8, 700)]
    [InlineData(7, 4, 64, 3000)]
    [InlineData(3, 1, 65, 2999)]
    public void Retrieve_EqualsNaiveBruteForce_OnGaussianData(int b, int k, int d, int n)
    {
        var rng = new Random(b * 31 + k * 7 + d * 3 + n);
        var table = Gaussian(rng, (n + 1) * d);
        var query = Gaussian(rng, b * k * d);
        var scorer = new ManagedCandidateScorer(new ItemEmbeddingTable(table, d), 2);

        // Float scores of non-dyadic data depend on the summation order (SIMD width), so the exact order is only
        // defined up to rounding. A rigorous bound for a float dot product of d terms, any summation order, is
        // (d + 1)·u·Σ|u_x·e_x| with u = 2^-24 (x1.5 for safety). Items whose exact scores are closer than the sum of
        // their bounds form a "band" whose internal order is rounding noise; everything else must match exactly.
        const double unit = 1.0 / (1 << 24);
        for (var user = 0; user < b; user++)
        {
            var all = new List<(int Item, double Score, int Interest, double Bound, double Runner)>();
            for (var item = 1; item <= n; item++)
            {
                double best = double.NegativeInfinity, runner = double.NegativeInfinity, bound = 0;
                var winner = -1;
                for (var i = 0; i < k; i++)
                {
                    double s = 0, abs = 0;
                    for (var x = 0; x < d; x++)
                    {
                        var p = (double)query[(user * k + i) * d + x] * table[item * d + x];
                        s += p;
                        abs += Math.Abs(p);
                    }

                    bound = Math.Max(bound, 1.5 * (d + 1) * unit * abs);
                    if (s > best)
                    {
                        runner = best;
                        best = s;
                        winner = i;
                    }
                    else if (s > runner)
                    {
                        runner = s;
                    }
                }

                all.Add((item, best, winner, bound, runner));
            }

            var sorted = all.OrderByDescending(t => t.Score).ThenBy(t => t.Item).ToList();
            var band = new Dictionary<int, int>();
            var bandId = 0;
            for (var r = 0; r < sorted.Count; r++)
            {
                if (r > 0 && sorted[r - 1].Score - sorted[r].Score > sorted[r - 1].Bound + sorted[r].Bound) bandId++;
                band[sorted[r].Item] = bandId;
            }

            var byItem = all.ToDictionary(t => t.Item);
            foreach (var topN in new[] { 1, 10, 50, n + 3 })
            {
                var result = scorer.Retrieve(new CandidateQuery(query, b, k), topN);
                var because = $"gaussian b={b} k={k} d={d} n={n} topN={topN} user={user}";
                var items = result.ItemsOf(user).ToArray();
                var filled = Math.Min(topN, n);
                items.Take(filled).Should().OnlyHaveUniqueItems(because).And.NotContain(0, because);
                for (var r = 0; r < filled; r++)
                {
                    var got = byItem[items[r]];
                    band[got.Item].Should().Be(band[sorted[r].Item], $"{because} rank {r}: only items within float rounding of each other may swap");
                    var score = (double)result.Scores[user * topN + r];
                    score.Should().BeApproximately(sorted[r].Score, 1e-4 * Math.Max(1, Math.Abs(sorted[r].Score)), because);
                    score.Should().BeApproximately(got.Score, got.Bound, because);
                    if (got.Score - got.Runner > 2 * got.Bound)
                        result.Interests[user * topN + r].Should().Be(got.Interest, because);
                }

                for (var r = filled; r < topN; r++)
                {
                    items[r].Should().Be(0, because);
                    result.Interests[user * topN + r].Should().Be(-1, because);
                }
            }
        }
    }

    [Fact]
    public void Retrieve_BreaksTiesByLowerItemId_ForDuplicateEmbeddings()
    {
        // d = 2; items 2, 5 and 9 share the best embedding (3, 1); items 4 and 7 share the next (2, 1); the rest score lower.
        const int d = 2;
        const int n = 10;
        var table = new float[(n + 1) * d];
        for (var item = 1; item <= n; item++)
        {
            table[item * d] = 0.1f * item - 5f;   // distinct, all below the duplicates for the query (1, 0)
            table[item * d + 1] = 0f;
        }

        foreach (var item in new[] { 9, 5, 2 }) (table[item * d], table[item * d + 1]) = (3f, 1f);
        foreach (var item in new[] { 7, 4 }) (table[item * d], table[item * d + 1]) = (2f, 1f);

        var scorer = new ManagedCandidateScorer(new ItemEmbeddingTable(table, d));
        var result = scorer.Retrieve(new CandidateQuery(new float[] { 1f, 0f }, 1, 1), 6);
        // scores: 2, 5, 9 -> 3; 4, 7 -> 2; then the best of the rest: item 10 -> 1 - 5 = -4.
        result.Items.Should().Equal(2, 5, 9, 4, 7, 10);
        result.Scores.Should().Equal(3f, 3f, 3f, 2f, 2f, -4f);

        // A cut inside a tie keeps the lower ids.
        scorer.Retrieve(new CandidateQuery(new float[] { 1f, 0f }, 1, 1), 2).Items.Should().Equal(2, 5);
        scorer.Retrieve(new CandidateQuery(new float[] { 1f, 0f }, 1, 1), 4).Items.Should().Equal(2, 5, 9, 4);
    }

    [Fact]
    public void Retrieve_ReturnsIdOrder_WhenAllItemsAreEqual()
    {
        var table = new float[(100 + 1) * 3];
        Array.Fill(table, 0.5f);
        var scorer = new ManagedCandidateScorer(new ItemEmbeddingTable(table, 3));
        var result = scorer.Retrieve(new CandidateQuery(new float[] { 1, 1, 1, -1, -1, -1 }, 1, 2), 13);
        result.Items.Should().Equal(Enumerable.Range(1, 13));
        result.Interests.Should().AllBeEquivalentTo(0);   // interest 0 scores 1.5, interest 1 scores -1.5
    }

    [Fact]
    public void Retrieve_ReportsTheWinningInterest()
    {
        // Items: 1 = (1, 0), 2 = (0, 1), 3 = (0.5, 0.5). Interests: k0 = (2, 0), k1 = (0, 3).
        // Scores: item 1 -> max(2, 0) = 2 by k0; item 2 -> max(0, 3) = 3 by k1; item 3 -> max(1, 1.5) = 1.5 by k1.
        float[] table = [0, 0, 1, 0, 0, 1, 0.5f, 0.5f];
        var scorer = new ManagedCandidateScorer(new ItemEmbeddingTable(table, 2));
        var result = scorer.Retrieve(new CandidateQuery(new float[] { 2, 0, 0, 3 }, 1, 2), 3);
        result.Items.Should().Equal(2, 1, 3);
        result.Scores.Should().Equal(3f, 2f, 1.5f);
        result.Interests.Should().Equal(1, 0, 1);
    }

    [Fact]
    public void Retrieve_ExcludesHistoryItems_PerUser()
    {
        const int d = 8;
        const int n = 300;
        const int b = 3;
        const int k = 4;
        var rng = new Random(4242);
        var table = Dyadic(rng, (n + 1) * d);
        var query = Dyadic(rng, b * k * d);
        var scorer = new ManagedCandidateScorer(new ItemEmbeddingTable(table, d));

        // Exclude each user's current top 5 plus some random items (and duplicates inside a history).
        var plain = scorer.Retrieve(new CandidateQuery(query, b, k), 5);
        var histories = Enumerable.Range(0, b)
            .Select(u => plain.ItemsOf(u).ToArray().Concat(Enumerable.Range(0, 20).Select(_ => rng.Next(1, n + 1))).Append(plain.ItemsOf(u)[0]).ToArray())
            .ToArray();
        var exclude = HistoryBatch.FromHistories(histories);
        var result = scorer.Retrieve(new CandidateQuery(query, b, k, exclude), 40);
        for (var u = 0; u < b; u++)
        {
            var expected = Naive(table, d, query, u, k, 40, histories[u].ToHashSet());
            AssertUserMatches(result, u, expected, table, d, query, k, exact: true, $"user {u}");
            result.ItemsOf(u).ToArray().Should().NotIntersectWith(histories[u]);
        }
    }

    [Fact]
    public void Retrieve_PadsTheRest_WhenExclusionShrinksTheGallery()
    {
        // 4 items, user excludes 2 of them, N = 5 -> 2 filled slots then (0, −∞, −1).
        float[] table = [0, 1, 2, 3, 4];   // d = 1, item j = j
        var scorer = new ManagedCandidateScorer(new ItemEmbeddingTable(table, 1));
        var result = scorer.Retrieve(new CandidateQuery(new float[] { 1 }, 1, 1, HistoryBatch.FromHistories([[4, 2]])), 5);
        result.Items.Should().Equal(3, 1, 0, 0, 0);
        result.Scores.Should().Equal(3f, 1f, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity);
        result.Interests.Should().Equal(0, 0, -1, -1, -1);
    }

    [Fact]
    public void Retrieve_GivesOnlyPadding_WhenExcludingEverything()
    {
        float[] table = [0, 1, 2];
        var scorer = new ManagedCandidateScorer(new ItemEmbeddingTable(table, 1));
        var result = scorer.Retrieve(new CandidateQuery(new float[] { 1 }, 1, 1, HistoryBatch.FromHistories([[1, 2]])), 2);
        result.Items.Should().Equal(0, 0);
        result.Interests.Should().Equal(-1, -1);
    }

    [Fact]
    public void Retrieve_ThrowsForDimensionMismatch()
    {
        var scorer = new ManagedCandidateScorer(new ItemEmbeddingTable(new float[3 * 8], 8));
        FluentActions.Invoking(() => scorer.Retrieve(new CandidateQuery(new float[2 * 4], 1, 2), 5))   // d = 4
            .Should().Throw<ArgumentException>().WithMessage("*d = 4*d = 8*");
    }

    [Fact]
    public void Retrieve_ThrowsForBadArguments()
    {
        var scorer = new ManagedCandidateScorer(new ItemEmbeddingTable(new float[3 * 2], 2));
        FluentActions.Invoking(() => scorer.Retrieve(null!, 5)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => scorer.Retrieve(new CandidateQuery(new float[2], 1, 1), 0)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Retrieve_Throws_WhenCancelled()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var scorer = new ManagedCandidateScorer(new ItemEmbeddingTable(new float[3 * 2], 2));
        FluentActions.Invoking(() => scorer.Retrieve(new CandidateQuery(new float[2], 1, 1), 1, cts.Token))
            .Should().Throw<OperationCanceledException>();
    }

    [Fact]
    public void Constructor_ThrowsForBadArguments()
    {
        FluentActions.Invoking(() => new ManagedCandidateScorer(null!)).Should().Throw<ArgumentNullException>();
        var table = new ItemEmbeddingTable(new float[4], 2);
        FluentActions.Invoking(() => new ManagedCandidateScorer(table, 0)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => new ManagedCandidateScorer(table, -1)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Retrieve_GivesTheSingleThreadedResults_ForConcurrentCallsFromSeveralThreads()
    {
        const int d = 16;
        const int n = 2000;
        var rng = new Random(99);
        var table = Dyadic(rng, (n + 1) * d);
        var queries = Enumerable.Range(0, 6).Select(i => (Query: Dyadic(rng, 5 * 4 * d), Exclude: HistoryBatch.FromHistories(
            Enumerable.Range(0, 5).Select(_ => Enumerable.Range(0, 10).Select(_ => rng.Next(1, n + 1)).ToArray()).ToArray()))).ToArray();

        var serial = new ManagedCandidateScorer(new ItemEmbeddingTable(table, d), 1);
        var expected = queries.Select(q => serial.Retrieve(new CandidateQuery(q.Query, 5, 4, q.Exclude), 50)).ToArray();

        var shared = new ManagedCandidateScorer(new ItemEmbeddingTable(table, d));
        var results = new CandidateResult[8][];
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            var mine = new CandidateResult[queries.Length * 3];
            for (var rep = 0; rep < 3; rep++)
            {
                for (var i = 0; i < queries.Length; i++)
                {
                    var q = queries[(i + t) % queries.Length];
                    mine[rep * queries.Length + (i + t) % queries.Length] = shared.Retrieve(new CandidateQuery(q.Query, 5, 4, q.Exclude), 50);
                }
            }

            results[t] = mine;
        })).ToList();
        threads.ForEach(th => th.Start());
        threads.ForEach(th => th.Join());

        for (var t = 0; t < 8; t++)
        {
            for (var j = 0; j < results[t].Length; j++)
            {
                var e = expected[j % queries.Length];
                results[t][j].Items.Should().Equal(e.Items);
                results[t][j].Scores.Should().Equal(e.Scores);
                results[t][j].Interests.Should().Equal(e.Interests);
            }
        }
    }
}
