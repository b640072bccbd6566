using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Re4.Recommenders.Extractors;

/// <summary>
/// ComiRec-SA's self-attentive extractor: A = softmax<sub>L</sub>(W_b·tanh(W_a·(X + P)ᵀ)) with a hidden size of
/// <see cref="SelfAttentiveOptions.HiddenMultiplier"/>·d (ComiRec: 4d) and K
/// output rows, interests Z = A·X (or A·(X·W_v)), retrieval vectors U = Z (or tanh(Linear(Z))). The position embedding P
/// enters only the attention scorer, as in the reference code.
/// </summary>
public sealed class SelfAttentiveExtractor : InterestExtractor, IStandardNormalInitializable
{
    private readonly Linear w_a;            // d → h·d (h = HiddenMultiplier), tanh
    private readonly Linear w_b;            // h·d → K
    private readonly Parameter? position;   // P, [L, d]
    private readonly Linear? w_v;           // d → d value projection (Re4 reference)
    private readonly Linear? head;          // d → d, tanh output head (Re4 reference)
    private readonly SelfAttentiveOptions _options;

    /// <summary>Creates ComiRec-SA with d, K and L; everything else default.</summary>
    public SelfAttentiveExtractor(int dimension = 64, int interests = 4, int maxLength = 20)
        : this(new SelfAttentiveOptions { Dimension = dimension, Interests = interests, MaxLength = maxLength })
    {
    }

    /// <summary>Creates the extractor from options (validated here).</summary>
    public SelfAttentiveExtractor(SelfAttentiveOptions options)
        : base(nameof(SelfAttentiveExtractor))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        var d = options.Dimension;
        var hidden = options.HiddenMultiplier * d;
        w_a = nn.Linear(d, hidden, hasBias: options.Bias);
        w_b = nn.Linear(hidden, options.Interests, hasBias: options.Bias);
        if (options.PositionEmbedding)
        {
            position = nn.Parameter(empty(options.MaxLength, d));   // [L, d]
            nn.init.xavier_uniform_(position);
        }

        if (options.ValueProjection) w_v = nn.Linear(d, d, hasBias: false);
        if (options.OutputHead) head = nn.Linear(d, d, hasBias: true);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override int InterestCount => _options.Interests;

    /// <inheritdoc />
    public override int Dimension => _options.Dimension;

    /// <summary>The options this extractor was built with.</summary>
    public SelfAttentiveOptions Options => _options;

    /// <summary>The Re4 reference code's W1, W1_2 and W2 (inferred: the scorer's two layers and the value projection) from
    /// N(0, 1); the output head and the position embedding keep their initialisation, as the reference's own modules do.</summary>
    void IStandardNormalInitializable.InitializeStandardNormal()
    {
        using var noGrad = no_grad();
        nn.init.normal_(w_a.weight!, 0, 1);    // W1: [h·d, d]
        nn.init.normal_(w_b.weight!, 0, 1);    // W1_2: [K, h·d]
        if (w_v is not null) nn.init.normal_(w_v.weight!, 0, 1);   // W2: [d, d]
    }

    /// <inheritdoc />
    public override InterestOutput Extract(Tensor history, Tensor mask)
    {
        ExtractorChecks.Shapes(history, mask, Dimension, _options.MaxLength);
        using var scope = NewDisposeScope();
        var l = history.shape[1];
        var scorerInput = position is null ? history : history.Plus(position.narrow(0, 0, l).unsqueeze(0));   // [B, L, d]
        var logits = w_b.forward(w_a.forward(scorerInput).tanh()).transpose(1, 2);                      // [B, K, L]
        var (attention, logAttention) = MaskedAttention.Softmax(logits, mask);
        var values = w_v is null ? history : w_v.forward(history);                                      // [B, L, d]
        var interests = attention.matmul(values);                                                       // [B, K, d]
        var retrieval = head is null ? interests : head.forward(interests).tanh();                      // [B, K, d]
        return new InterestOutput(
            interests.MoveToOuterDisposeScope(),
            attention.MoveToOuterDisposeScope(),
            logAttention.MoveToOuterDisposeScope(),
            ReferenceEquals(retrieval, interests) ? null : retrieval.MoveToOuterDisposeScope());
    }
}
