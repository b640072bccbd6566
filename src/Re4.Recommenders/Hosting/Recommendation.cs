using Re4.Recommenders.Data;

namespace Re4.Recommenders.Hosting;

/// <summary>One history's recommendations, best first, in the data's original item ids. The lists are parallel:
/// entry r is the item at rank r, its score max<sub>k</sub> ⟨u<sub>k</sub>, e<sub>item</sub>⟩ and the interest k (0..K−1)
/// that scored it highest. Fewer than the requested number when the catalogue runs out.</summary>
/// <param name="Items">Original item ids as numbers. For a checkpoint with text ids, reading this list throws an
/// <see cref="InvalidOperationException"/> that points to <see cref="ItemKeys"/>.</param>
/// <param name="Scores">Scores, non-increasing (all 0 in a fallback answer).</param>
/// <param name="Interests">The winning interest of each item (all −1 in a fallback answer).</param>
public sealed record Recommendation(IReadOnlyList<long> Items, IReadOnlyList<float> Scores, IReadOnlyList<int> Interests)
{
    private readonly IReadOnlyList<string>? _itemKeys;

    /// <summary>Original item ids as text, parallel to <see cref="Items"/>: always filled by the service (a number's
    /// decimal text for a numeric checkpoint); when not set, the decimal text of <see cref="Items"/>.</summary>
    public IReadOnlyList<string> ItemKeys
    {
        get => _itemKeys ?? Items.Select(OriginalIdText.Format).ToArray();
        init => _itemKeys = value;
    }

    /// <summary>Whether <see cref="Items"/> holds the ids: false when the answering checkpoint's ids are text (read
    /// <see cref="ItemKeys"/>).</summary>
    public bool NumericItemIds { get; init; } = true;

    /// <summary>True when the history was empty or held no item the model knows: the items are then the most popular
    /// ones of the training data (its most frequent items first), after the exclusions, not a personal list.</summary>
    public bool IsFallback { get; init; }

    /// <summary>History items the model does not know that were left out under <see cref="UnknownItemPolicy.Skip"/>, for a
    /// request by numbers (empty for a request by <see cref="RecommendationRequest.HistoryKeys"/>).</summary>
    public IReadOnlyList<long> SkippedItems { get; init; } = [];

    /// <summary>The skipped history items as text, for any request (the decimal text of <see cref="SkippedItems"/> for a
    /// request by numbers).</summary>
    public IReadOnlyList<string> SkippedKeys { get; init; } = [];

    /// <summary>The <see cref="ServedModelInfo.Version"/> of the model that answered (it changes at each reload).</summary>
    public int ModelVersion { get; init; }
}
