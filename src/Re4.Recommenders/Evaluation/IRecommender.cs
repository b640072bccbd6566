using Re4.Recommenders.Data;

namespace Re4.Recommenders.Evaluation;

/// <summary>Anything that turns user histories into ranked top-N lists: a popularity baseline, or a trained
/// multi-interest model behind an <see cref="Scoring.ICandidateScorer"/>. The evaluator depends only on this.</summary>
/// <remarks>Implementations must be safe for concurrent calls once constructed.</remarks>
public interface IRecommender
{
    /// <summary>A short name for reports (<c>most-popular</c>, <c>comirec-sa</c>, ...).</summary>
    string Name { get; }

    /// <summary>N: the number of items; dense ids are 1..N.</summary>
    int ItemCount { get; }

    /// <summary>Writes, for each row b of <paramref name="histories"/>, the <paramref name="topN"/> best items in rank order to
    /// <c>items[b·topN ..]</c> and their scores to <c>scores[b·topN ..]</c>. Ties are broken by the lower item id.
    /// Slots that cannot be filled (a catalogue smaller than N after exclusion) get item 0 and score −∞.</summary>
    /// <param name="histories">The users' histories, oldest first.</param>
    /// <param name="topN">N, at least 1.</param>
    /// <param name="excludeHistory">Never retrieve an item of the user's own history.</param>
    /// <param name="items">Output, length ≥ B·N.</param>
    /// <param name="scores">Output, length ≥ B·N.</param>
    /// <param name="cancellationToken">Cancels long batches.</param>
    void Recommend(HistoryBatch histories, int topN, bool excludeHistory, Span<int> items, Span<float> scores, CancellationToken cancellationToken = default);
}
