namespace Re4.Serving;

/// <summary>One request of a batch POST.</summary>
/// <param name="History">Original item ids, oldest first (empty for the popular items).</param>
/// <param name="Top">How many items (default 10, at most the model's MaxTop).</param>
/// <param name="Exclude">Items never to return.</param>
public sealed record BatchItem(long[]? History, int? Top, long[]? Exclude);
