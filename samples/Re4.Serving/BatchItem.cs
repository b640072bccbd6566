using System.Text.Json.Serialization;

namespace Re4.Serving;

/// <summary>One request of a batch POST. Ids are JSON numbers or strings (text ids such as SKUs need strings).</summary>
/// <param name="History">Original item ids, oldest first (empty for the popular items).</param>
/// <param name="Top">How many items (default 10, at most the model's MaxTop).</param>
/// <param name="Exclude">Items never to return.</param>
public sealed record BatchItem(
    [property: JsonConverter(typeof(OriginalIdsJsonConverter))] string[]? History,
    int? Top,
    [property: JsonConverter(typeof(OriginalIdsJsonConverter))] string[]? Exclude);
