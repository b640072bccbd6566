using Re4.Recommenders.Data;
using Re4.Recommenders.Evaluation;

namespace Re4.Recommenders.Baselines;

/// <summary>MostPopular: the items with the most interactions among the training sequences, the same list for every
/// user (ties by the lower dense id, i.e. global popularity). Immutable and thread-safe.</summary>
public sealed class MostPopularRecommender : IRecommender
{
    private readonly int[] _ranked;   // dense ids by decreasing training count
    private readonly long[] _counts;  // [N + 1]

    /// <summary>Counts items over the training sequences of <paramref name="split"/>.</summary>
    public MostPopularRecommender(DataSplit split)
        : this((split ?? throw new ArgumentNullException(nameof(split))).TrainItemFrequencies())
    {
    }

    /// <summary>Uses given per-item counts (index 0 is padding and ignored).</summary>
    public MostPopularRecommender(long[] counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        if (counts.Length < 2) throw new ArgumentException("Counts must cover at least one item besides padding.", nameof(counts));
        _counts = (long[])counts.Clone();
        _counts[0] = 0;
        _ranked = Enumerable.Range(1, counts.Length - 1).ToArray();
        Array.Sort(_ranked, (a, b) => _counts[a] != _counts[b] ? _counts[b].CompareTo(_counts[a]) : a.CompareTo(b));
    }

    /// <inheritdoc />
    public string Name => "most-popular";

    /// <inheritdoc />
    public int ItemCount => _counts.Length - 1;

    /// <inheritdoc />
    public void Recommend(HistoryBatch histories, int topN, bool excludeHistory, Span<int> items, Span<float> scores, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(topN);
        var needed = histories.Count * topN;
        if (items.Length < needed || scores.Length < needed)
            throw new ArgumentException($"Outputs need {needed} slots ({histories.Count} users × {topN}).");
        for (var b = 0; b < histories.Count; b++)
        {
            var outItems = items.Slice(b * topN, topN);
            var outScores = scores.Slice(b * topN, topN);
            var history = histories[b];
            var w = 0;
            for (var r = 0; r < _ranked.Length && w < topN; r++)
            {
                var item = _ranked[r];
                if (excludeHistory && history.Contains(item)) continue;
                outItems[w] = item;
                outScores[w++] = _counts[item];
            }

            outItems[w..].Clear();
            outScores[w..].Fill(float.NegativeInfinity);
        }
    }
}
