namespace Re4.Recommenders.Hosting;

/// <summary>
/// A recommender an application calls: histories in, ranked items out, in the data's original item ids.
/// <see cref="Re4RecommenderService"/> implements it over a trained checkpoint; register it with
/// <see cref="Re4RecommenderServiceCollectionExtensions"/> and depend on this interface, so that tests can pass a fake.
/// </summary>
/// <remarks>Implementations are thread-safe. Original item ids are numbers or text (SKUs, ASINs): the members taking
/// <see cref="long"/> ids serve checkpoints whose ids are all numbers; the members taking text ids
/// (<see cref="RecommendationRequest.ForKeys"/>, <see cref="RecommendKeys"/>, <see cref="Knows(string)"/>,
/// <see cref="Recommendation.ItemKeys"/>) serve any checkpoint.</remarks>
public interface IRe4Recommender
{
    /// <summary>The model answering now.</summary>
    ServedModelInfo Model { get; }

    /// <summary>The largest <see cref="RecommendationRequest.Top"/> a request may ask for.</summary>
    int MaxTop { get; }

    /// <summary>Whether the model knows the item with this original id.</summary>
    bool Knows(long itemId);

    /// <summary>Whether the model knows the item with this original id, given as text (a number's decimal text finds the
    /// number). The default answers through <see cref="Knows(long)"/> for a number's text and false otherwise.</summary>
    bool Knows(string itemKey) =>
        Data.OriginalIdText.TryParseNumber((itemKey ?? throw new ArgumentNullException(nameof(itemKey))).AsSpan(), out var number) && Knows(number);

    /// <summary>The best items for one request.</summary>
    /// <exception cref="UnknownItemsException">The history holds unknown items under <see cref="UnknownItemPolicy.Reject"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The request's top is outside 1..<see cref="MaxTop"/>.</exception>
    Recommendation Recommend(RecommendationRequest request, CancellationToken cancellationToken = default);

    /// <summary>The best items for each request, in request order, all answered by the same model version; cheaper than
    /// one call per request (the histories are encoded and scored together).</summary>
    /// <exception cref="UnknownItemsException">A request's history holds unknown items under
    /// <see cref="UnknownItemPolicy.Reject"/> (<see cref="UnknownItemsException.RequestIndex"/> says which).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A request's top is outside 1..<see cref="MaxTop"/>.</exception>
    IReadOnlyList<Recommendation> RecommendBatch(IReadOnlyList<RecommendationRequest> requests, CancellationToken cancellationToken = default);

    /// <summary>The <paramref name="top"/> best items for a history, with the service's policies.</summary>
    Recommendation Recommend(IReadOnlyList<long> history, int top, CancellationToken cancellationToken = default) =>
        Recommend(new RecommendationRequest(history, top), cancellationToken);

    /// <summary>The <paramref name="top"/> best items for a history of text ids, with the service's policies; the answer's
    /// <see cref="Recommendation.ItemKeys"/> hold the items.</summary>
    Recommendation RecommendKeys(IReadOnlyList<string> history, int top, CancellationToken cancellationToken = default) =>
        Recommend(RecommendationRequest.ForKeys(history, top), cancellationToken);
}
