namespace Re4.Recommenders.Scoring;

/// <summary>
/// The retrieval hot path: given K interest vectors per user, score every candidate item of a gallery by
/// max<sub>k</sub> ⟨u<sub>k</sub>, e<sub>j</sub>⟩ and return each user's top N with the interest that won each item.
/// A scorer is bound to one gallery at construction and holds no per-query state.
/// </summary>
/// <remarks>Implementations are thread-safe: concurrent <see cref="Retrieve"/> calls are allowed. Ties between items are
/// broken by the lower item id, and ties between interests by the lower interest index, so that every implementation
/// returns identical lists from identical scores. Scores are float sums whose last bit depends on the summation order,
/// which is each implementation's own: two implementations agree exactly whenever every dot product is exact in float
/// (e.g. small integers or multiples of 1/8), and to rounding otherwise. Items whose score is −∞ or NaN are never
/// returned.</remarks>
public interface ICandidateScorer
{
    /// <summary>Number of items in the gallery; item ids are 1..ItemCount.</summary>
    int ItemCount { get; }

    /// <summary>d: the embedding size.</summary>
    int Dimension { get; }

    /// <summary>Retrieves the top <paramref name="topN"/> items of each user in <paramref name="query"/>.</summary>
    CandidateResult Retrieve(CandidateQuery query, int topN, CancellationToken cancellationToken = default);
}
