namespace Re4.Recommenders.Hosting;

/// <summary>One history's recommendations, best first, in the data's original item ids. The three lists are parallel:
/// entry r is the item at rank r, its score max<sub>k</sub> ⟨u<sub>k</sub>, e<sub>item</sub>⟩ and the interest k (0..K−1)
/// that scored it highest. Fewer than the requested number when the catalogue runs out.</summary>
/// <param name="Items">Original item ids.</param>
/// <param name="Scores">Scores, non-increasing.</param>
/// <param name="Interests">The winning interest of each item.</param>
public sealed record Recommendation(IReadOnlyList<long> Items, IReadOnlyList<float> Scores, IReadOnlyList<int> Interests);
