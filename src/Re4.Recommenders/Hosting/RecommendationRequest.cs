namespace Re4.Recommenders.Hosting;

/// <summary>One history to recommend for, with the caller's exclusions. Ids are the data's original item ids: numbers
/// (<see cref="History"/>, for checkpoints whose ids are all numbers) or text (<see cref="HistoryKeys"/>, set by an
/// object initializer or <see cref="ForKeys"/>, for any checkpoint: SKUs, ASINs, or a number's decimal text).</summary>
public sealed class RecommendationRequest
{
    /// <summary>The default <see cref="Top"/>.</summary>
    public const int DefaultTop = 10;

    /// <summary>Creates a request for <paramref name="history"/> given as numbers.</summary>
    /// <param name="history">Original item ids, oldest first; only the model's last L count. May be empty: the answer is
    /// then the popular-items fallback.</param>
    /// <param name="top">How many items, 1..the service's <see cref="Re4RecommenderOptions.MaxTop"/>.</param>
    public RecommendationRequest(IReadOnlyList<long> history, int top = DefaultTop)
    {
        ArgumentNullException.ThrowIfNull(history);
        History = history;
        Top = top;
    }

    /// <summary>Creates a request to fill with an object initializer, for a history of text ids:
    /// <c>new RecommendationRequest { HistoryKeys = ["SKU-0001"], Top = 5, ExcludeKeys = ["SKU-0002"] }</c>. Without
    /// <see cref="HistoryKeys"/> the history is empty (the popular-items fallback).</summary>
    public RecommendationRequest()
    {
        History = [];
    }

    /// <summary>A request for <paramref name="history"/> given as text ids (any checkpoint answers these; for a numeric
    /// one, a number's decimal text finds the number).</summary>
    /// <param name="history">Original item ids as text, oldest first; only the model's last L count. May be empty: the
    /// answer is then the popular-items fallback.</param>
    /// <param name="top">How many items, 1..the service's <see cref="Re4RecommenderOptions.MaxTop"/>.</param>
    public static RecommendationRequest ForKeys(IReadOnlyList<string> history, int top = DefaultTop)
    {
        ArgumentNullException.ThrowIfNull(history);
        return new RecommendationRequest { HistoryKeys = history, Top = top };
    }

    /// <summary>Original item ids as numbers, oldest first; empty for a request by text ids.</summary>
    public IReadOnlyList<long> History { get; }

    /// <summary>Original item ids as text, oldest first, for a request by text ids; null otherwise.</summary>
    public IReadOnlyList<string>? HistoryKeys { get; init; }

    /// <summary>How many items to return (checked by the service against its <see cref="Re4RecommenderOptions.MaxTop"/>).</summary>
    public int Top { get; init; } = DefaultTop;

    /// <summary>Items never to return (e.g. already bought), as numbers; ids the model does not know are ignored.</summary>
    public IReadOnlyCollection<long>? ExcludeItems { get; init; }

    /// <summary>Items never to return, as text ids (any checkpoint); ids the model does not know are ignored. Applies
    /// together with <see cref="ExcludeItems"/>.</summary>
    public IReadOnlyCollection<string>? ExcludeKeys { get; init; }

    /// <summary>Returns true for an item never to return (e.g. out of stock), given its numeric id; numeric checkpoints
    /// only (use <see cref="ExcludeKeyWhere"/> for text ids). Called on candidates only, best first, from the calling
    /// thread; the service fetches more candidates until <see cref="Top"/> pass or the catalogue runs out.</summary>
    public Func<long, bool>? ExcludeWhere { get; init; }

    /// <summary>Like <see cref="ExcludeWhere"/>, given the item's id as text (any checkpoint; a number's decimal text for a
    /// numeric one). An item is left out when either predicate says so.</summary>
    public Func<string, bool>? ExcludeKeyWhere { get; init; }

    /// <summary>Overrides the service's <see cref="Re4RecommenderOptions.UnknownItems"/> for this request.</summary>
    public UnknownItemPolicy? UnknownItems { get; init; }
}
