using System.Text.Json.Nodes;

namespace Re4.Serving;

/// <summary>The body of a successful recommendation: parallel lists, best first, and how they were made.</summary>
/// <param name="Model">The model's name (preset label or encoder).</param>
/// <param name="Version">The model version that answered (one more at each reload).</param>
/// <param name="Items">Original item ids: JSON numbers for a checkpoint whose ids are all numbers, strings for one with
/// text ids (SKUs, ASINs).</param>
/// <param name="Scores">Scores, non-increasing (0 in a fallback).</param>
/// <param name="Interests">Winning interest per item (−1 in a fallback).</param>
/// <param name="Fallback">True when the history had no known item: the popular items.</param>
/// <param name="Skipped">Unknown history items left out (model option <c>UnknownItems: Skip</c>), numbers or strings as
/// <paramref name="Items"/>.</param>
public sealed record RecommendResponse(string Model, int Version, IReadOnlyList<JsonNode> Items, IReadOnlyList<float> Scores,
    IReadOnlyList<int> Interests, bool Fallback, IReadOnlyList<JsonNode> Skipped);
