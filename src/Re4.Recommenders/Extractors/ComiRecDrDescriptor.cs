using Re4.Recommenders.Models;

namespace Re4.Recommenders.Extractors;

/// <summary>ComiRec-DR (<c>comirec-dr</c>): the <see cref="DynamicRoutingExtractor"/> with one bilinear map per position
/// and interest.</summary>
public sealed class ComiRecDrDescriptor : EncoderDescriptor<DynamicRoutingOptions>
{
    /// <summary>The registry name.</summary>
    public const string EncoderName = "ComiRecDR";

    /// <summary>Describes ComiRec-DR.</summary>
    public ComiRecDrDescriptor()
        : base(EncoderName, "comirec-dr", multiInterest: true)
    {
    }

    /// <inheritdoc />
    public override DynamicRoutingOptions CreateDefaultOptions() => new();

    /// <inheritdoc />
    protected override DynamicRoutingOptions Consistent(ModelConfig config, DynamicRoutingOptions options) =>
        options with { Dimension = config.Dimension, Interests = config.Interests, MaxLength = config.MaxLength };

    /// <inheritdoc />
    protected override InterestExtractor Create(ModelConfig config, DynamicRoutingOptions options) => new DynamicRoutingExtractor(options);
}
