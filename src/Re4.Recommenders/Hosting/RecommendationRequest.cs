namespace Re4.Recommenders.Hosting;

/// <summary>One history to recommend for, with the caller's exclusions. Ids are the data's original item ids.</summary>
public sealed class RecommendationRequest
{
    /// <summary>The default <see cref="Top"/>.</summary>
    public const int DefaultTop = 10;

    /// <summary>Creates a request for <paramref name="history"/>.</summary>
    /// <param name="history">Original item ids, oldest first; only the model's last L count. May be empty: the answer is
    /// then the popular-items fallback.</param>
    /// <param name="top">How many items, 1..the service's <see cref="Re4RecommenderOptions.MaxTop"/>.</param>
    public RecommendationRequest(IReadOnlyList<long> history, int top = DefaultTop)
    {
        ArgumentNullException.ThrowIfNull(history);
        History = history;
        Top = top;
    }

    /// <summary>Original item ids, oldest first.</summary>
    public IReadOnlyList<long> History { get; }

    /// <summary>How many items to return (checked by the service against its <see cref="Re4RecommenderOptions.MaxTop"/>).</summary>
    public int Top { get; }

    /// <summary>Items never to return (e.g. already bought); ids the model does not know are ignored.</summary>
    public IReadOnlyCollection<long>? ExcludeItems { get; init; }

    /// <summary>Returns true for an item never to return (e.g. out of stock). Called on candidates only, best first, from
    /// the calling thread; the service fetches more candidates until <see cref="Top"/> pass or the catalogue runs out.</summary>
    public Func<long, bool>? ExcludeWhere { get; init; }

    /// <summary>Overrides the service's <see cref="Re4RecommenderOptions.UnknownItems"/> for this request.</summary>
    public UnknownItemPolicy? UnknownItems { get; init; }
}
