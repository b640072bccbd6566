using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Re4.Recommenders.Extractors;

/// <summary>GRU4Rec's single interest (K = 1): the GRU state after the last valid history item (histories are
/// left-aligned, padding after them). Attention is uniform over the valid items.</summary>
public sealed class GruExtractor : InterestExtractor
{
    private readonly GRU gru;   // d → d
    private readonly int _dimension;

    /// <summary>Creates the extractor for embedding size d.</summary>
    public GruExtractor(int dimension = 64)
        : base(nameof(GruExtractor))
    {
        OptionChecks.Positive(dimension, nameof(dimension));
        _dimension = dimension;
        gru = nn.GRU(dimension, dimension, numLayers: 1, batchFirst: true);
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
        var (outputs, _) = gru.forward(history);                                        // [B, L, d]
        var last = mask.sum(1).to(ScalarType.Int64).sub(TorchScalars.One).clamp_min(TorchScalars.Zero);   // [B]
        var index = last.view(-1, 1, 1).expand(-1, 1, Dimension);                       // [B, 1, d]
        var interests = outputs.gather(1, index);                                       // [B, 1, d]
        var (attention, logAttention) = MaskedAttention.Uniform(mask, 1);
        return new InterestOutput(interests.MoveToOuterDisposeScope(), attention.MoveToOuterDisposeScope(), logAttention.MoveToOuterDisposeScope());
    }
}
