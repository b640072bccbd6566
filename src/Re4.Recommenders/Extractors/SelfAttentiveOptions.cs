namespace Re4.Recommenders.Extractors;

/// <summary>Options of <see cref="SelfAttentiveExtractor"/> (ComiRec-SA). Defaults reproduce ComiRec's reference code;
/// <see cref="Re4Reference"/> gives the flavour of the Re4 reference code.</summary>
public sealed record SelfAttentiveOptions
{
    /// <summary>d (default 64).</summary>
    public int Dimension { get; init; } = 64;

    /// <summary>K (default 4).</summary>
    public int Interests { get; init; } = 4;

    /// <summary>L, the longest history; sizes the position embedding (default 20).</summary>
    public int MaxLength { get; init; } = 20;

    /// <summary>Hidden size of the attention scorer as a multiple of d (default 4: ComiRec's 4d).</summary>
    public int HiddenMultiplier { get; init; } = 4;

    /// <summary>Add a trainable position embedding P to the scorer's input (ComiRec: true; Re4 reference: false).</summary>
    public bool PositionEmbedding { get; init; } = true;

    /// <summary>Biases in the scorer's two layers (ComiRec: true; Re4 reference: false).</summary>
    public bool Bias { get; init; } = true;

    /// <summary>Interests Z = A·(X·W_v) with a d×d value projection instead of Z = A·X (Re4 reference: true).</summary>
    public bool ValueProjection { get; init; }

    /// <summary>Retrieval vectors U = tanh(Linear(Z)) instead of U = Z (Re4 reference: true); the backward flows use Z.</summary>
    public bool OutputHead { get; init; }

    /// <summary>The Re4 reference code's flavour: no position embedding, no biases, a value projection and a tanh head.</summary>
    public static SelfAttentiveOptions Re4Reference(int dimension = 64, int interests = 4, int maxLength = 20) => new()
    {
        Dimension = dimension,
        Interests = interests,
        MaxLength = maxLength,
        PositionEmbedding = false,
        Bias = false,
        ValueProjection = true,
        OutputHead = true,
    };

    internal void Validate()
    {
        OptionChecks.Positive(Dimension, nameof(Dimension));
        OptionChecks.Positive(Interests, nameof(Interests));
        OptionChecks.Positive(MaxLength, nameof(MaxLength));
        OptionChecks.Positive(HiddenMultiplier, nameof(HiddenMultiplier));
    }
}
