using Re4.Recommenders.Data;
using Re4.Recommenders.Scoring;

namespace Re4.Recommenders.Tests.Scoring;

/// <summary>
/// The property behind <see cref="ICandidateScorer"/>'s "identical lists": on random shapes, every managed kernel this
/// machine runs and the Torch scorer return exactly what a naive brute force returns.
/// </summary>
/// <remarks>Float sums depend on their order, and the Torch scorer's matrix product sums in its own order, so the
/// agreement is exact only where every dot product is exact in float. The data are multiples of 1/2 or 1/8 in [−2, 2]:
/// every product is a multiple of 1/64 of magnitude ≤ 4, so every partial sum of up to 70 terms is an integer multiple
/// of 1/64 below 2^24/64 and exact in any order. Coarse values (halves) make many exact ties between items and between
/// interests, which is what exercises the tie-break.</remarks>
public sealed class ScorerAgreementTests
{
    private static readonly ScoringKernel[] Kernels =
        new[] { ScoringKernel.Avx512, ScoringKernel.Avx2, ScoringKernel.Scalar }.Where(ManagedCandidateScorer.IsSupported).ToArray();

    /// <summary>One user's naive top-N: every non-excluded item's score is the max over k of a double-precision dot
    /// product (exact here), its interest the first k reaching it; sort by score desc then id asc; pad with 0/−∞/−1.</summary>
    internal static (int[] Items, float[] Scores, int[] Interests) Naive(float[] table, int d, float[] query, int user, int k, int topN, ReadOnlySpan<int> exclude)
    {
        var top = ManagedCandidateScorerTests.Naive(table, d, query, user, k, topN, exclude.ToArray().ToHashSet());
        var pad = topN - top.Count;
        return (top.Select(t => t.Item).Concat(Enumerable.Repeat(0, pad)).ToArray(),
            top.Select(t => (float)t.Score).Concat(Enumerable.Repeat(float.NegativeInfinity, pad)).ToArray(),
            top.Select(t => t.Interest).Concat(Enumerable.Repeat(-1, pad)).ToArray());
    }

    private static float[] Values(Random rng, int count, int denominator)
    {
        var a = new float[count];
        for (var i = 0; i < a.Length; i++) a[i] = rng.Next(-2 * denominator, 2 * denominator + 1) / (float)denominator;
        return a;
    }

    private static void AssertEqualsNaive(CandidateResult result, float[] table, int d, float[] query, int b, int k, int topN, HistoryBatch? exclude, string because)
    {
        for (var user = 0; user < b; user++)
        {
            var (items, scores, interests) = Naive(table, d, query, user, k, topN, exclude is { } e ? e[user] : default);
            var at = user * topN;
            result.Items.AsSpan(at, topN).ToArray().Should().Equal(items, $"{because} user {user} items");
            result.Scores.AsSpan(at, topN).ToArray().Should().Equal(scores, (x, y) => x == y, $"{because} user {user} scores");
            result.Interests.AsSpan(at, topN).ToArray().Should().Equal(interests, $"{because} user {user} interests");
        }
    }

    [Fact]
    public void AllScorers_EqualNaiveBruteForce_OnRandomShapesWithTiesAndExclusions()
    {
        var rng = new Random(20221);
        for (var trial = 0; trial < 36; trial++)
        {
            var b = rng.Next(1, 10);
            var k = trial % 6 == 5 ? rng.Next(9, 18) : rng.Next(1, 9);   // K > 8: a user spans several 8-row tiles
            var d = trial % 4 == 0 ? rng.Next(1, 5) : rng.Next(1, 71);
            var n = trial % 5 == 0 ? rng.Next(1, 40) : rng.Next(40, 2500);
            var topN = trial % 7 == 0 ? n + rng.Next(1, 10) : rng.Next(1, 61);
            var denominator = trial % 2 == 0 ? 2 : 8;
            var table = Values(rng, (n + 1) * d, denominator);
            if (trial % 3 == 0)
            {
                // Duplicate rows: ties between items whatever the query.
                for (var j = 0; j < n / 3; j++) Array.Copy(table, rng.Next(1, n + 1) * d, table, rng.Next(1, n + 1) * d, d);
            }

            var query = Values(rng, b * k * d, denominator);
            if (trial % 4 == 1 && k > 1)
            {
                // A user whose interests 0 and 1 are equal: ties between interests must go to interest 0.
                Array.Copy(query, 0, query, d, d);
            }

            HistoryBatch? exclude = trial % 2 == 1
                ? HistoryBatch.FromHistories(Enumerable.Range(0, b).Select(_ => Enumerable.Range(0, rng.Next(0, Math.Min(n, 60) + 1)).Select(_ => rng.Next(1, n + 1)).ToArray()).ToArray())
                : null;
            var because = $"trial {trial}: b={b} k={k} d={d} n={n} topN={topN} exclude={exclude is not null}";
            var itemTable = new ItemEmbeddingTable(table, d);
            var candidateQuery = new CandidateQuery(query, b, k, exclude);

            foreach (var kernel in Kernels)
            {
                var managed = new ManagedCandidateScorer(itemTable, 1 + trial % 3, kernel);
                AssertEqualsNaive(managed.Retrieve(candidateQuery, topN), table, d, query, b, k, topN, exclude, $"{because} managed {kernel}");
            }

            using var torchScorer = new TorchCandidateScorer(itemTable, userBatchSize: rng.Next(1, 5), itemChunkSize: rng.Next(40, 700));
            AssertEqualsNaive(torchScorer.Retrieve(candidateQuery, topN), table, d, query, b, k, topN, exclude, $"{because} torch");
        }
    }

    [Theory]
    [InlineData(3, 4, 64, 1000)]
    [InlineData(2, 3, 37, 700)]
    [InlineData(1, 9, 8, 333)]
    public void ManagedKernels_EqualTheSequentialFmaOrderBitForBit_OnGaussianData(int b, int k, int d, int n)
    {
        // The managed scorer's documented score is s_{x+1} = fma(u_x, e_x, s_x) from s_0 = 0 in dimension order; this
        // naive loop computes exactly that, so scores, ranks and interests must match exactly on arbitrary floats.
        var rng = new Random(b + 10 * k + 100 * d + n);
        var table = new float[(n + 1) * d];
        for (var i = 0; i < table.Length; i++) table[i] = (float)(rng.NextDouble() * 2 - 1);
        var query = new float[b * k * d];
        for (var i = 0; i < query.Length; i++) query[i] = (float)(rng.NextDouble() * 2 - 1);
        const int topN = 40;

        foreach (var kernel in Kernels)
        {
            var result = new ManagedCandidateScorer(new ItemEmbeddingTable(table, d), 2, kernel).Retrieve(new CandidateQuery(query, b, k), topN);
            for (var user = 0; user < b; user++)
            {
                var all = new List<(int Item, float Score, int Interest)>();
                for (var item = 1; item <= n; item++)
                {
                    var best = float.NegativeInfinity;
                    var winner = -1;
                    for (var i = 0; i < k; i++)
                    {
                        var s = 0f;
                        for (var x = 0; x < d; x++) s = MathF.FusedMultiplyAdd(query[(user * k + i) * d + x], table[item * d + x], s);
                        if (s > best)
                        {
                            best = s;
                            winner = i;
                        }
                    }

                    all.Add((item, best, winner));
                }

                var top = all.OrderByDescending(t => t.Score).ThenBy(t => t.Item).Take(topN).ToList();
                result.ItemsOf(user).ToArray().Should().Equal(top.Select(t => t.Item), $"{kernel} user {user}");
                result.Scores.AsSpan(user * topN, topN).ToArray().Should().Equal(top.Select(t => t.Score), $"{kernel} user {user}");
                result.Interests.AsSpan(user * topN, topN).ToArray().Should().Equal(top.Select(t => t.Interest), $"{kernel} user {user}");
            }
        }
    }

    [Fact]
    public void BothScorers_NeverReturnItemsWithNegativeInfinityOrNaNScores()
    {
        // d = 1; items 1..4 = 1, −∞, NaN, 2; the query 1 scores them 1, −∞, NaN, 2.
        float[] table = [0, 1, float.NegativeInfinity, float.NaN, 2];
        var itemTable = new ItemEmbeddingTable(table, 1);
        var query = new CandidateQuery(new float[] { 1 }, 1, 1);
        using var torchScorer = new TorchCandidateScorer(itemTable);
        foreach (ICandidateScorer scorer in new ICandidateScorer[] { new ManagedCandidateScorer(itemTable), torchScorer })
        {
            var result = scorer.Retrieve(query, 4);
            result.Items.Should().Equal(4, 1, 0, 0);
            result.Interests.Should().Equal(0, 0, -1, -1);
        }
    }
}
