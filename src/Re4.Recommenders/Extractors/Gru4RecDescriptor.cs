using Re4.Recommenders.Models;

namespace Re4.Recommenders.Extractors;

/// <summary>GRU4Rec (<c>gru4rec</c>): the single-interest <see cref="GruExtractor"/>; no options.</summary>
public sealed class Gru4RecDescriptor : EncoderDescriptor
{
    /// <summary>The registry name.</summary>
    public const string EncoderName = "Gru4Rec";

    /// <summary>Describes GRU4Rec.</summary>
    public Gru4RecDescriptor()
        : base(EncoderName, "gru4rec", multiInterest: false)
    {
    }

    /// <inheritdoc />
    public override InterestExtractor Create(ModelConfig config)
    {
        ResolveOptions(config);
        return new GruExtractor(config.Dimension);
    }
}
