using System.Numerics.Tensors;

namespace Re4.Recommenders.Scoring;

/// <summary>
/// Exact retrieval on managed memory with no native dependency: every item scored by max over interests of the dot
/// product (SIMD through <see cref="TensorPrimitives"/>), a running top-N per user, users in parallel. Extra memory
/// is O(threads·N), independent of the gallery size.
/// </summary>
/// <remarks>Thread-safe: the scorer only reads its table; concurrent <see cref="Retrieve"/> calls are allowed.</remarks>
public sealed class ManagedCandidateScorer : ICandidateScorer
{
    private readonly ItemEmbeddingTable _table;
    private readonly int _maxDegreeOfParallelism;

    /// <summary>Creates a scorer over <paramref name="table"/> using all cores.</summary>
    public ManagedCandidateScorer(ItemEmbeddingTable table)
        : this(table, Environment.ProcessorCount)
    {
    }

    /// <summary>Creates a scorer with a bound on the threads one query uses.</summary>
    public ManagedCandidateScorer(ItemEmbeddingTable table, int maxDegreeOfParallelism)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxDegreeOfParallelism);
        _table = table;
        _maxDegreeOfParallelism = maxDegreeOfParallelism;
    }

    /// <inheritdoc />
    public int ItemCount => _table.ItemCount;

    /// <inheritdoc />
    public int Dimension => _table.Dimension;

    /// <inheritdoc />
    public CandidateResult Retrieve(CandidateQuery query, int topN, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(topN);
        if (query.Dimension != Dimension)
            throw new ArgumentException($"The query's interests have d = {query.Dimension}; the gallery has d = {Dimension}.", nameof(query));
        int b = query.UserCount, k = query.InterestCount, d = Dimension;
        var items = new int[b * topN];
        var scores = new float[b * topN];
        var interests = new int[b * topN];
        var options = new ParallelOptions { MaxDegreeOfParallelism = _maxDegreeOfParallelism, CancellationToken = cancellationToken };
        Parallel.For(0, b, options, () => new TopNCollector(topN), (user, _, heap) =>
        {
            heap.Reset();
            var u = query.Interests.Span.Slice(user * k * d, k * d);   // [K, d]
            var exclude = query.Exclude is { } e ? e[user] : default;
            for (var item = 1; item <= _table.ItemCount; item++)
            {
                var e_j = _table[item];
                var best = TensorPrimitives.Dot(u[..d], e_j);
                var winner = 0;
                for (var i = 1; i < k; i++)
                {
                    var s = TensorPrimitives.Dot(u.Slice(i * d, d), e_j);
                    if (s > best)
                    {
                        best = s;
                        winner = i;
                    }
                }

                if (best < heap.Threshold) continue;
                if (!exclude.IsEmpty && exclude.Contains(item)) continue;
                heap.Offer(best, item, winner);
            }

            heap.Drain(items.AsSpan(user * topN, topN), scores.AsSpan(user * topN, topN), interests.AsSpan(user * topN, topN));
            return heap;
        }, _ => { });
        return new CandidateResult(b, topN, items, scores, interests);
    }
}
