using Re4.Recommenders.Models;

namespace Re4.Recommenders.Hosting;

/// <summary>What a <see cref="IRe4Recommender"/> is serving now.</summary>
/// <param name="Name">The model's name: its preset label, else its encoder's registry name.</param>
/// <param name="Config">The model's architecture.</param>
/// <param name="ModelDirectory">The model folder it was loaded from.</param>
/// <param name="Version">1 for the first model loaded, one more at each successful reload.</param>
/// <param name="LoadedAt">When it was loaded.</param>
/// <param name="Device">Where its encoder runs (<c>cpu</c>, <c>cuda:0</c>, ...).</param>
public sealed record ServedModelInfo(string Name, ModelConfig Config, string ModelDirectory, int Version, DateTimeOffset LoadedAt, string Device)
{
    /// <summary>N: the number of items the model can recommend.</summary>
    public int ItemCount => Config.ItemCount;

    /// <summary>Whether every original item id is a number (then <see cref="Recommendation.Items"/> holds them); false for
    /// a checkpoint with text ids (SKUs, ASINs), served through the text members (<see cref="Recommendation.ItemKeys"/>).</summary>
    public bool NumericItemIds { get; init; } = true;
}
