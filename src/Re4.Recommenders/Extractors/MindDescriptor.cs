using Re4.Recommenders.Models;

namespace Re4.Recommenders.Extractors;

/// <summary>MIND (<c>mind</c>): the <see cref="DynamicRoutingExtractor"/> with <see cref="DynamicRoutingOptions.Mind"/>
/// defaults (one shared bilinear map, random routing start, relu head).</summary>
public sealed class MindDescriptor : EncoderDescriptor<DynamicRoutingOptions>
{
    /// <summary>The registry name.</summary>
    public const string EncoderName = "Mind";

    /// <summary>Describes MIND.</summary>
    public MindDescriptor()
        : base(EncoderName, "mind", multiInterest: true)
    {
    }

    /// <inheritdoc />
    public override DynamicRoutingOptions CreateDefaultOptions() => DynamicRoutingOptions.Mind();

    /// <inheritdoc />
    protected override DynamicRoutingOptions Consistent(ModelConfig config, DynamicRoutingOptions options) =>
        options with { Dimension = config.Dimension, Interests = config.Interests, MaxLength = config.MaxLength };

    /// <inheritdoc />
    protected override InterestExtractor Create(ModelConfig config, DynamicRoutingOptions options) => new DynamicRoutingExtractor(options);
}
