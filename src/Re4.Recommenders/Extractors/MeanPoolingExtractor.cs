using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Re4.Recommenders.Extractors;

/// <summary>YouTube DNN's single interest (K = 1): the masked mean of the history embeddings followed by a d×d linear
/// layer, as ComiRec's baseline does. Attention is uniform over the valid items.</summary>
public sealed class MeanPoolingExtractor : InterestExtractor
{
    private readonly Linear dense;   // d → d
    private readonly int _dimension;

    /// <summary>Creates the extractor for embedding size d.</summary>
    public MeanPoolingExtractor(int dimension = 64)
        : base(nameof(MeanPoolingExtractor))
    {
        OptionChecks.Positive(dimension, nameof(dimension));
        _dimension = dimension;
        dense = nn.Linear(dimension, dimension, hasBias: true);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override int InterestCount => 1;

    /// <inheritdoc />
    public override int Dimension => _dimension;

    /// <inheritdoc />
    public override InterestOutput Extract(Tensor history, Tensor mask)
    {
        ExtractorChecks.Shapes(history, mask, Dimension);
        using var scope = NewDisposeScope();
        var count = mask.sum(1, keepdim: true).clamp_min(TorchScalars.One);          // [B, 1]
        var mean = (history * mask.unsqueeze(-1)).sum(1) / count;          // [B, d]
        var interests = dense.forward(mean).unsqueeze(1);                  // [B, 1, d]
        var (attention, logAttention) = MaskedAttention.Uniform(mask, 1);
        return new InterestOutput(interests.MoveToOuterDisposeScope(), attention.MoveToOuterDisposeScope(), logAttention.MoveToOuterDisposeScope());
    }
}
