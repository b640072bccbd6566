using Re4.Recommenders.Scoring;

namespace Re4.Recommenders.PgVector;

/// <summary>
/// Retrieval over a gallery split into shards, each behind its own scorer (e.g. one
/// <see cref="PgVectorCandidateScorer"/> per PostgreSQL server): every shard answers the whole query in parallel, and
/// each user's lists are merged by max in the client. The shards share one id space 1..N and hold disjoint items. A
/// single shard is passed through unchanged.
/// </summary>
/// <remarks>Each shard returns its own top N, which contains every item of the merged top N that it holds, so the
/// merge is exact whenever the shards are. Thread-safe when the shards are.</remarks>
public sealed class ShardedCandidateScorer : ICandidateScorer, IDisposable
{
    private readonly ICandidateScorer[] _shards;
    private readonly bool _ownsShards;

    /// <summary>Creates a scorer over <paramref name="shards"/>.</summary>
    /// <param name="shards">At least one scorer; all with the same item count and dimension.</param>
    /// <param name="ownsShards">Dispose the shards (those that are <see cref="IDisposable"/>) with this scorer.</param>
    /// <exception cref="ArgumentException">No shard, or shards that disagree on N or d.</exception>
    public ShardedCandidateScorer(IReadOnlyList<ICandidateScorer> shards, bool ownsShards = true)
    {
        ArgumentNullException.ThrowIfNull(shards);
        if (shards.Count == 0) throw new ArgumentException("At least one shard is needed.", nameof(shards));
        for (var s = 0; s < shards.Count; s++)
        {
            if (shards[s] is null) throw new ArgumentException($"Shard {s} is null.", nameof(shards));
            if (shards[s].ItemCount != shards[0].ItemCount || shards[s].Dimension != shards[0].Dimension)
            {
                throw new ArgumentException(
                    $"Shard {s} has N = {shards[s].ItemCount}, d = {shards[s].Dimension}; shard 0 has N = {shards[0].ItemCount}, d = {shards[0].Dimension}.",
                    nameof(shards));
            }
        }

        _shards = shards.ToArray();
        _ownsShards = ownsShards;
    }

    /// <summary>The shards, in order.</summary>
    public IReadOnlyList<ICandidateScorer> Shards => _shards;

    /// <inheritdoc />
    public int ItemCount => _shards[0].ItemCount;

    /// <inheritdoc />
    public int Dimension => _shards[0].Dimension;

    /// <inheritdoc />
    public CandidateResult Retrieve(CandidateQuery query, int topN, CancellationToken cancellationToken = default) =>
        RetrieveAsync(query, topN, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Retrieves from every shard at once and merges; asynchronous shards (<see cref="PgVectorCandidateScorer"/>)
    /// block no thread while their servers work.</summary>
    public async Task<CandidateResult> RetrieveAsync(CandidateQuery query, int topN, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(topN);
        if (_shards.Length == 1)
        {
            return _shards[0] is PgVectorCandidateScorer single
                ? await single.RetrieveAsync(query, topN, cancellationToken).ConfigureAwait(false)
                : _shards[0].Retrieve(query, topN, cancellationToken);
        }

        var parts = await Task.WhenAll(_shards.Select(shard => shard is PgVectorCandidateScorer pg
            ? pg.RetrieveAsync(query, topN, cancellationToken)
            : Task.Run(() => shard.Retrieve(query, topN, cancellationToken), cancellationToken))).ConfigureAwait(false);

        int b = query.UserCount;
        var items = new int[b * topN];
        var scores = new float[b * topN];
        var interests = new int[b * topN];
        var merge = new CandidateMerge();
        for (var user = 0; user < b; user++)
        {
            foreach (var part in parts)
            {
                for (var slot = user * topN; slot < (user + 1) * topN; slot++)
                    merge.Offer(part.Items[slot], part.Scores[slot], part.Interests[slot]);
            }

            merge.Drain(items.AsSpan(user * topN, topN), scores.AsSpan(user * topN, topN), interests.AsSpan(user * topN, topN));
        }

        return new CandidateResult(b, topN, items, scores, interests);
    }

    /// <summary>Disposes the shards when this scorer owns them.</summary>
    public void Dispose()
    {
        if (!_ownsShards) return;
        foreach (var shard in _shards) (shard as IDisposable)?.Dispose();
    }
}
