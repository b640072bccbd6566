using Re4.Recommenders.Data;
using Re4.Recommenders.Scoring;

namespace Re4.Recommenders.Tests.PgVector;

/// <summary>Random galleries, queries and histories for the pgvector tests, and the naive exact ranking to check them
/// against.</summary>
internal static class PgVectorTestData
{
    /// <summary>A gallery <c>[N + 1, d]</c> of uniform values in [−1, 1] (row 0 padding).</summary>
    public static ItemEmbeddingTable Table(int n, int d, int seed)
    {
        var random = new Random(seed);
        var data = new float[(n + 1) * d];
        for (var i = d; i < data.Length; i++) data[i] = (float)(random.NextDouble() * 2 - 1);
        return new ItemEmbeddingTable(data, d);
    }

    /// <summary>Original ids 1000 + 7·j, far from the dense ones.</summary>
    public static IdMap Ids(int n) => IdMap.FromNumbers(Enumerable.Range(1, n).Select(j => 1000L + 7 * j), firstIndex: 1);

    /// <summary>Interest vectors <c>[B, K, d]</c>.</summary>
    public static float[] Interests(int users, int k, int d, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, users * k * d).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    /// <summary>Per user, <paramref name="length"/> distinct random items of 1..N.</summary>
    public static HistoryBatch Histories(int users, int length, int n, int seed)
    {
        var random = new Random(seed);
        return HistoryBatch.FromHistories(Enumerable.Range(0, users)
            .Select(_ => Enumerable.Range(1, n).OrderBy(_ => random.Next()).Take(length).ToArray()).ToArray());
    }

    /// <summary>The gallery as a flat array, for the naive reference.</summary>
    public static float[] Flat(ItemEmbeddingTable table) => table.Rows(0, table.ItemCount + 1).ToArray();

    /// <summary>Asserts that <paramref name="actual"/> is the naive exact ranking of every user (scores to float
    /// rounding).</summary>
    public static void ShouldMatchNaive(CandidateResult actual, ItemEmbeddingTable table, float[] interests, int k, int topN, HistoryBatch? exclude = null)
    {
        var flat = Flat(table);
        for (var user = 0; user < actual.UserCount; user++)
        {
            ISet<int>? excluded = exclude is { } e ? e[user].ToArray().ToHashSet() : null;
            var expected = Scoring.ManagedCandidateScorerTests.Naive(flat, table.Dimension, interests, user, k, topN, excluded);
            var slots = Enumerable.Range(user * topN, expected.Count).ToArray();
            slots.Select(s => actual.Items[s]).Should().Equal(expected.Select(x => x.Item), "user {0}'s items", user);
            slots.Select(s => (double)actual.Scores[s]).Should().Equal(expected.Select(x => x.Score), (a, b) => Math.Abs(a - b) < 1e-4, "user {0}'s scores", user);
            slots.Select(s => actual.Interests[s]).Should().Equal(expected.Select(x => x.Interest), "user {0}'s interests", user);
            for (var s = user * topN + expected.Count; s < (user + 1) * topN; s++)
            {
                actual.Items[s].Should().Be(0, "an unfilled slot holds item 0");
                actual.Scores[s].Should().Be(float.NegativeInfinity);
                actual.Interests[s].Should().Be(-1);
            }
        }
    }
}
