using System.Text.Json.Serialization;
using Re4.Recommenders.Extractors;

namespace Re4.Recommenders.Models;

/// <summary>Everything needed to rebuild a <see cref="MultiInterestModel"/>'s architecture; saved beside its weights.</summary>
/// <remarks>Serialised by <see cref="ModelCheckpoint"/> (and any System.Text.Json caller) with the encoder's options typed
/// by its registered <see cref="EncoderDescriptor.OptionsType"/>; configurations written before the encoder registry
/// (a <c>kind</c> and a <c>self_attentive</c> flavour) still read to the same architecture.</remarks>
[JsonConverter(typeof(ModelConfigJsonConverter))]
public sealed record ModelConfig
{
    /// <summary>A name for reports when the model is a preset (e.g. <c>re4</c>: the SA encoder trained with the backward
    /// flows); null means the encoder's own name.</summary>
    public string? Label { get; init; }

    /// <summary>The encoder: a name in <see cref="EncoderRegistry"/> (default <see cref="ComiRecSaDescriptor.EncoderName"/>),
    /// or, for a model built around an extractor instance of your own, a name the registry does not know.</summary>
    public string Encoder { get; init; } = ComiRecSaDescriptor.EncoderName;

    /// <summary>N: catalogue size; ids 1..N, 0 is padding.</summary>
    public int ItemCount { get; init; }

    /// <summary>d (default 64).</summary>
    public int Dimension { get; init; } = 64;

    /// <summary>K (default 4; a single-interest encoder gives 1 whatever it says: see <see cref="EffectiveInterests"/>).</summary>
    public int Interests { get; init; } = 4;

    /// <summary>L (default 20).</summary>
    public int MaxLength { get; init; } = 20;

    /// <summary>Histories fed most recent first (the Re4 reference code's order) instead of oldest first (default true since
    /// 0.3, the order measured best on validation users; false is ComiRec's order and the default before 0.3).</summary>
    public bool ReverseHistory { get; init; } = true;

    /// <summary>Item embedding initialisation (default Xavier uniform, as ComiRec).</summary>
    public EmbeddingInitialization ItemInitialization { get; init; } = EmbeddingInitialization.XavierUniform;

    /// <summary>The initialisation of the extractor's weight matrices and of the re-construct generator built for this
    /// model (default <see cref="MatrixInitialization.Default"/>: each module's own; <c>re4-reference</c> uses
    /// <see cref="MatrixInitialization.StandardNormal"/>). Applied when the model is built, so it changes only the starting
    /// weights.</summary>
    public MatrixInitialization MatrixInitialization { get; init; }

    /// <summary>The encoder's own options, of its descriptor's <see cref="EncoderDescriptor.OptionsType"/> (e.g.
    /// <see cref="SelfAttentiveOptions"/>); null means its defaults. Where they repeat d, K or L, this configuration wins.
    /// A <see cref="MultiInterestModel"/> keeps the resolved options in its <see cref="MultiInterestModel.Config"/>, so a
    /// checkpoint records every option that shapes the network.</summary>
    public object? EncoderOptions { get; init; }

    /// <summary>The number of interests the encoder really produces: 1 for a single-interest encoder, else
    /// <see cref="Interests"/>.</summary>
    [JsonIgnore]
    public int EffectiveInterests => EncoderRegistry.TryGet(Encoder, out var encoder) && !encoder.MultiInterest ? 1 : Interests;

    /// <summary>Checks the configuration's bounds (the model's constructor calls it; a front end may call it early).</summary>
    /// <exception cref="ArgumentException">A value is out of range; <see cref="ArgumentException.ParamName"/> names it.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Encoder)) throw new ArgumentException("Encoder must name an encoder.", nameof(Encoder));
        if (ItemCount <= 0) throw new ArgumentOutOfRangeException(nameof(ItemCount), ItemCount, "ItemCount must be positive.");
        if (Dimension <= 0) throw new ArgumentOutOfRangeException(nameof(Dimension), Dimension, "Dimension must be positive.");
        if (Interests <= 0) throw new ArgumentOutOfRangeException(nameof(Interests), Interests, "Interests must be positive.");
        if (MaxLength <= 0) throw new ArgumentOutOfRangeException(nameof(MaxLength), MaxLength, "MaxLength must be positive.");
        if (!Enum.IsDefined(MatrixInitialization)) throw new ArgumentOutOfRangeException(nameof(MatrixInitialization), MatrixInitialization, "Unknown matrix initialisation.");
        if (!Enum.IsDefined(ItemInitialization)) throw new ArgumentOutOfRangeException(nameof(ItemInitialization), ItemInitialization, "Unknown item initialisation.");
    }
}
