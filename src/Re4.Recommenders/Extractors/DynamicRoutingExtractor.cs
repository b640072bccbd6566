using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Re4.Recommenders.Extractors;

/// <summary>
/// Capsule dynamic routing (ComiRec-DR, or MIND with <see cref="DynamicRoutingOptions.Mind"/>). Per position and interest
/// bilinear maps give ê<sub>k,l</sub> = W<sub>l,k</sub>·x<sub>l</sub>; routing logits b (<c>[B, K, L]</c>, no gradient) start at 0;
/// each iteration c = softmax over the <b>interests</b> (K, not L: the axis is the classic re-implementation bug), c = 0 on
/// padding, s<sub>k</sub> = Σ<sub>l</sub> c<sub>k,l</sub> ê<sub>k,l</sub> (ê without gradient except in the last iteration),
/// v<sub>k</sub> = squash(s<sub>k</sub>), b += ⟨ê, v⟩. The interests are v; the attention given to the backward flows is the
/// final c renormalised over the valid history items of each interest.
/// </summary>
public sealed class DynamicRoutingExtractor : InterestExtractor
{
    private readonly Parameter? w_bilinear;   // [L, K·d, d] per position and interest (ComiRec-DR)
    private readonly Linear? w_shared;        // d → d shared by all (MIND)
    private readonly Linear? head;            // d → d, relu (MIND)
    private readonly DynamicRoutingOptions _options;

    /// <summary>Creates ComiRec-DR with d, K and L.</summary>
    public DynamicRoutingExtractor(int dimension = 64, int interests = 4, int maxLength = 20)
        : this(new DynamicRoutingOptions { Dimension = dimension, Interests = interests, MaxLength = maxLength })
    {
    }

    /// <summary>Creates the extractor from options (validated here).</summary>
    public DynamicRoutingExtractor(DynamicRoutingOptions options)
        : base(nameof(DynamicRoutingExtractor))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        var d = options.Dimension;
        if (options.SharedBilinearMap)
        {
            w_shared = nn.Linear(d, d, hasBias: false);
        }
        else
        {
            // ComiRec draws these from a standard normal.
            w_bilinear = nn.Parameter(randn(options.MaxLength, options.Interests * d, d));   // [L, K·d, d]
        }

        if (options.ReluHead) head = nn.Linear(d, d, hasBias: true);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override int InterestCount => _options.Interests;

    /// <inheritdoc />
    public override int Dimension => _options.Dimension;

    /// <summary>The options this extractor was built with.</summary>
    public DynamicRoutingOptions Options => _options;

    /// <inheritdoc />
    public override InterestOutput Extract(Tensor history, Tensor mask)
    {
        ExtractorChecks.Shapes(history, mask, Dimension, _options.MaxLength);
        using var scope = NewDisposeScope();
        long b = history.shape[0], l = history.shape[1], k = InterestCount, d = Dimension;
        Tensor itemHat;   // ê, [B, K, L, d]
        if (w_shared is not null)
        {
            itemHat = w_shared.forward(history).unsqueeze(1).expand(-1, k, -1, -1);
        }
        else
        {
            // ê[b, l, :] = W[l] · x[b, l]: [L, K·d, d] × [B, L, d, 1] → [B, L, K·d]
            var w = w_bilinear!.narrow(0, 0, l);
            // One batched product per position (bmm over L): broadcasting W over B·L would copy W B times.
            itemHat = history.transpose(0, 1).bmm(w.transpose(1, 2))           // [L, B, K·d]
                .transpose(0, 1).reshape(b, l, k, d).permute(0, 2, 1, 3);
        }

        var valid = mask.unsqueeze(1);                                         // [B, 1, L]
        var logits = w_shared is null                                                // routing logits, no gradient
            ? zeros(b, k, l, dtype: history.dtype, device: history.device)
            : TruncatedStandardNormal(b, k, l, history, training ? null : InferenceSeed);   // MIND: truncated-normal start
        var detachedHat = itemHat.detach();
        // With AttentionGradient the same logits again, with the gradient through ê: what A is computed from.
        var attentionLogits = logits;
        Tensor coupling = null!, interests = null!;
        for (var i = 0; i < _options.Iterations; i++)
        {
            var last = i == _options.Iterations - 1;
            coupling = logits.softmax(1) * valid;                                    // softmax over K, 0 on padding: [B, K, L]
            var hat = last ? itemHat : detachedHat;
            var s = coupling.unsqueeze(2).matmul(hat).squeeze(2);                    // [B, K, d]
            interests = Squash(s);
            if (last) break;
            logits = logits.Plus(hat.matmul(interests.unsqueeze(-1)).squeeze(-1));   // [B, K, L]
            attentionLogits = _options.AttentionGradient
                ? attentionLogits.Plus(itemHat.matmul(interests.detach().unsqueeze(-1)).squeeze(-1))   // [B, K, L], gradient into ê
                : logits;
        }

        // The backward flows want a distribution over L per interest: renormalise c over the valid items.
        // Renormalised in log space: an interest whose coupling underflows to 0 at every item (logits far below the
        // other interests') still gets a proper distribution, where c / Σc would be 0/0.
        var logCoupling = attentionLogits.log_softmax(1).masked_fill(mask.eq(TorchScalars.Zero).unsqueeze(1), TorchScalars.MaskValue);   // [B, K, L]
        var logAttention = logCoupling - logCoupling.logsumexp(-1, keepdim: true);
        var attention = logAttention.exp();                                            // 0 on padding (exp(−1e9))
        var retrieval = head is null ? interests : head.forward(interests).relu();
        return new InterestOutput(
            interests.MoveToOuterDisposeScope(),
            attention.MoveToOuterDisposeScope(),
            logAttention.MoveToOuterDisposeScope(),
            ReferenceEquals(retrieval, interests) ? null : retrieval.MoveToOuterDisposeScope());
    }

    /// <summary>The seed of MIND's routing start in evaluation mode, so that serving the same history twice gives the same
    /// interests (ComiRec's MIND draws afresh on every call; in training the global generator keeps that behaviour).</summary>
    internal const ulong InferenceSeed = 0x4D494E44;   // "MIND"

    /// <summary>A standard normal truncated to [−2, 2] (ComiRec's MIND draws tf.truncated_normal), <c>[B, K, L]</c>, by
    /// inverse CDF from torch's global generator, or from a fresh CPU generator with <paramref name="seed"/> when one is
    /// given. Not nn.init.trunc_normal_: in TorchSharp 0.107 it fills the tensor with ones, a constant start that makes
    /// every MIND interest identical.</summary>
    internal static Tensor TruncatedStandardNormal(long b, long k, long l, Tensor like, ulong? seed = null)
    {
        using var scope = NewDisposeScope();
        Tensor uniform;
        if (seed is { } s)
        {
            using var generator = new Generator(s, CPU);
            uniform = rand(b, k, l, dtype: like.dtype, generator: generator).to(like.device);
        }
        else
        {
            uniform = rand(b, k, l, dtype: like.dtype, device: like.device);
        }

        var u = uniform.mul(NormalSpan).Plus(NormalLower);                                              // [B, K, L]
        var x = u.mul(TorchScalars.Two).sub(TorchScalars.One).erfinv().mul(Sqrt2);                     // Φ⁻¹(u)
        return x.clamp(MinusTwo, TorchScalars.Two).MoveToOuterDisposeScope();
    }

    // The truncated normal's constants: Φ(−2), Φ(2) − Φ(−2), √2, −2. Static, as a Scalar must outlive the native call.
    private const double Lower = 0.022750131948179195, Upper = 0.9772498680518208;
    private static readonly Scalar NormalLower = Lower.ToScalar();
    private static readonly Scalar NormalSpan = (Upper - Lower).ToScalar();
    private static readonly Scalar Sqrt2 = Math.Sqrt(2).ToScalar();
    private static readonly Scalar MinusTwo = (-2).ToScalar();
    private static readonly Scalar SquashEpsilon = 1e-9.ToScalar();

    /// <summary>squash(s) = (‖s‖²/(1 + ‖s‖²)) · s/√(‖s‖² + 1e-9), over the last axis.</summary>
    internal static Tensor Squash(Tensor s)
    {
        var norm2 = s.Squared().sum(-1, keepdim: true);
        return norm2 / norm2.Plus(TorchScalars.One) / norm2.Plus(SquashEpsilon).sqrt() * s;
    }
}
