using Re4.Recommenders.Scoring;

namespace Re4.Recommenders.Tests.USearch;

/// <summary>Galleries and queries for the USearch tests, and recall against an exact result.</summary>
internal static class USearchTestData
{
    /// <summary>Beauty's item count after the ComiRec filter.</summary>
    public const int BeautyItems = 12_101;

    /// <summary>Row-major <c>[N + 1, d]</c>, row 0 zero, the rest uniform in [−1, 1].</summary>
    public static float[] Uniform(int seed, int items, int d)
    {
        var rng = new Random(seed);
        var table = new float[(items + 1) * d];
        for (var i = d; i < table.Length; i++) table[i] = (float)(rng.NextDouble() * 2 - 1);
        return table;
    }

    /// <summary><paramref name="count"/> floats uniform in [−1, 1] (interest vectors).</summary>
    public static float[] Vectors(int seed, int count)
    {
        var rng = new Random(seed);
        var vectors = new float[count];
        for (var i = 0; i < count; i++) vectors[i] = (float)(rng.NextDouble() * 2 - 1);
        return vectors;
    }

    /// <summary>Like trained embeddings: items around one of <paramref name="topics"/> random centres (so neighbourhoods
    /// are dense), with norms that vary by item (popularity), row 0 zero.</summary>
    public static float[] Clustered(int seed, int items, int d, int topics)
    {
        var rng = new Random(seed);
        var centres = new float[topics * d];
        for (var i = 0; i < centres.Length; i++) centres[i] = (float)(rng.NextDouble() * 2 - 1);
        var table = new float[(items + 1) * d];
        for (var item = 1; item <= items; item++)
        {
            var topic = rng.Next(topics);
            var scale = (float)(0.5 + rng.NextDouble());
            for (var x = 0; x < d; x++)
                table[item * d + x] = scale * (centres[topic * d + x] + (float)(rng.NextDouble() - 0.5));
        }

        return table;
    }

    /// <summary>Mean over users of the fraction of the exact list's items (non-zero slots) that the other list holds.</summary>
    public static double Recall(CandidateResult exact, CandidateResult approximate)
    {
        double sum = 0;
        for (var user = 0; user < exact.UserCount; user++)
        {
            var truth = exact.ItemsOf(user).ToArray().Where(i => i != 0).ToHashSet();
            var hits = approximate.ItemsOf(user).ToArray().Count(truth.Contains);
            sum += truth.Count == 0 ? 1 : (double)hits / truth.Count;
        }

        return sum / exact.UserCount;
    }
}
