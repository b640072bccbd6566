using Re4.Recommenders.Models;

namespace Re4.Recommenders.Extractors;

/// <summary>YouTube DNN (<c>youtube-dnn</c>): the single-interest <see cref="MeanPoolingExtractor"/>; no options.</summary>
public sealed class YouTubeDnnDescriptor : EncoderDescriptor
{
    /// <summary>The registry name.</summary>
    public const string EncoderName = "YouTubeDnn";

    /// <summary>Describes YouTube DNN.</summary>
    public YouTubeDnnDescriptor()
        : base(EncoderName, "youtube-dnn", multiInterest: false)
    {
    }

    /// <inheritdoc />
    public override InterestExtractor Create(ModelConfig config)
    {
        ResolveOptions(config);
        return new MeanPoolingExtractor(config.Dimension);
    }
}
