using System.Text.Json.Serialization;
using Re4.Recommenders.Extractors;

namespace Re4.Recommenders.Models;

/// <summary>Everything needed to rebuild a <see cref="MultiInterestModel"/>'s architecture; saved beside its weights.</summary>
public sealed record ModelConfig
{
    /// <summary>A name for reports when the model is a preset (e.g. <c>re4</c>: the SA encoder trained with the backward
    /// flows); null means the encoder's own name.</summary>
    public string? Label { get; init; }

    /// <summary>The encoder.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter))]
    public ModelKind Kind { get; init; } = ModelKind.ComiRecSA;

    /// <summary>N: catalogue size; ids 1..N, 0 is padding.</summary>
    public int ItemCount { get; init; }

    /// <summary>d (default 64).</summary>
    public int Dimension { get; init; } = 64;

    /// <summary>K (default 4; forced to 1 for the single-interest baselines).</summary>
    public int Interests { get; init; } = 4;

    /// <summary>L (default 20).</summary>
    public int MaxLength { get; init; } = 20;

    /// <summary>Histories fed most recent first (the Re4 reference code's order) instead of oldest first.</summary>
    public bool ReverseHistory { get; init; }

    /// <summary>Item embedding initialisation (default Xavier uniform, as ComiRec).</summary>
    [JsonConverter(typeof(JsonStringEnumConverter))]
    public EmbeddingInitialization ItemInitialization { get; init; } = EmbeddingInitialization.XavierUniform;

    /// <summary>Self-attentive options beyond d, K, L (ComiRec-SA only); null means ComiRec's defaults.</summary>
    public SelfAttentiveFlavor? SelfAttentive { get; init; }

    /// <summary>The number of interests the encoder really produces.</summary>
    [JsonIgnore]
    public int EffectiveInterests => Kind is ModelKind.YouTubeDnn or ModelKind.Gru4Rec ? 1 : Interests;

    internal void Validate()
    {
        if (ItemCount <= 0) throw new ArgumentOutOfRangeException(nameof(ItemCount), ItemCount, "ItemCount must be positive.");
        if (Dimension <= 0) throw new ArgumentOutOfRangeException(nameof(Dimension), Dimension, "Dimension must be positive.");
        if (Interests <= 0) throw new ArgumentOutOfRangeException(nameof(Interests), Interests, "Interests must be positive.");
        if (MaxLength <= 0) throw new ArgumentOutOfRangeException(nameof(MaxLength), MaxLength, "MaxLength must be positive.");
        if (!Enum.IsDefined(Kind)) throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "Unknown model kind.");
    }
}

/// <summary>The self-attentive extractor's switches (see <see cref="SelfAttentiveOptions"/>).</summary>
public sealed record SelfAttentiveFlavor
{
    /// <summary>See <see cref="SelfAttentiveOptions.PositionEmbedding"/>.</summary>
    public bool PositionEmbedding { get; init; } = true;

    /// <summary>See <see cref="SelfAttentiveOptions.Bias"/>.</summary>
    public bool Bias { get; init; } = true;

    /// <summary>See <see cref="SelfAttentiveOptions.ValueProjection"/>.</summary>
    public bool ValueProjection { get; init; }

    /// <summary>See <see cref="SelfAttentiveOptions.OutputHead"/>.</summary>
    public bool OutputHead { get; init; }

    /// <summary>The Re4 reference code's flavour.</summary>
    public static SelfAttentiveFlavor Re4Reference { get; } = new() { PositionEmbedding = false, Bias = false, ValueProjection = true, OutputHead = true };
}
