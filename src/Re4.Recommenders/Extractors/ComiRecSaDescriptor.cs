using Re4.Recommenders.Models;

namespace Re4.Recommenders.Extractors;

/// <summary>ComiRec-SA (<c>comirec-sa</c>): the <see cref="SelfAttentiveExtractor"/>; its <see cref="SelfAttentiveOptions"/>
/// also give the Re4 reference flavour.</summary>
public sealed class ComiRecSaDescriptor : EncoderDescriptor<SelfAttentiveOptions>
{
    /// <summary>The registry name.</summary>
    public const string EncoderName = "ComiRecSA";

    /// <summary>Describes ComiRec-SA.</summary>
    public ComiRecSaDescriptor()
        : base(EncoderName, "comirec-sa", multiInterest: true)
    {
    }

    /// <inheritdoc />
    public override SelfAttentiveOptions CreateDefaultOptions() => new();

    /// <inheritdoc />
    protected override SelfAttentiveOptions Consistent(ModelConfig config, SelfAttentiveOptions options) =>
        options with { Dimension = config.Dimension, Interests = config.Interests, MaxLength = config.MaxLength };

    /// <inheritdoc />
    protected override InterestExtractor Create(ModelConfig config, SelfAttentiveOptions options) => new SelfAttentiveExtractor(options);
}
