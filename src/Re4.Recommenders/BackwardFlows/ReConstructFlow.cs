using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Re4.Recommenders.BackwardFlows;

/// <summary>
/// Re-construct (Re4 paper's re-construct loss; docs/concepts.md, "Backward flows"): each interest must regenerate the embeddings of its positive history items. The generator
/// expands z<sub>k</sub> into L slots Q = Linear<sub>d→L·d</sub>(z<sub>k</sub>), attends over the slots with
/// G = softmax(W₂·tanh(W₁·Qᵀ)) (slot j tied to history position j, so padded positions are masked), and reconstructs
/// X̃ = G·(Q·W₃). The loss is the squared error between X̃<sub>k,l</sub> and x<sub>l</sub> on the positive cells.
/// With <see cref="FlowScaling.Normalized"/>, z and x are first rescaled to norm √d, so the error no longer scales with ‖x‖².
/// </summary>
/// <remarks>A TorchSharp module with its own parameters: the trainer optimises and checkpoints them with the model. Under the
/// trainer's default <see cref="Training.LogitsKernel.Managed"/>, X̃, the squared error and its weighted sum are one autograd
/// function that skips the cells that are not positives (exact to float rounding against libtorch's operations, which a
/// context outside the trainer and <see cref="Training.LogitsKernel.Torch"/> use).</remarks>
public sealed class ReConstructFlow : nn.Module, IBackwardFlow, Extractors.IStandardNormalInitializable
{
    private readonly Linear expand;   // d → L·d, Q
    private readonly Linear w_1;      // d → d
    private readonly Linear w_2;      // d → L (one row per history position)
    private readonly Linear w_3;      // d → d
    private readonly ReConstructOptions _options;
    private readonly int _dimension;
    private readonly int _maxLength;

    /// <summary>Creates the generator for embedding size d and histories of at most L items.</summary>
    public ReConstructFlow(int dimension, int maxLength, ReConstructOptions? options = null)
        : base(nameof(ReConstructFlow))
    {
        if (dimension <= 0) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "Must be positive.");
        if (maxLength <= 0) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "Must be positive.");
        options ??= new ReConstructOptions();
        options.Validate();
        _options = options;
        _dimension = dimension;
        _maxLength = maxLength;
        expand = nn.Linear(dimension, (long)maxLength * dimension, hasBias: true);
        w_1 = nn.Linear(dimension, dimension, hasBias: false);
        w_2 = nn.Linear(dimension, maxLength, hasBias: false);
        w_3 = nn.Linear(dimension, dimension, hasBias: false);
        RegisterComponents();
    }

    /// <summary>The Re4 reference code's W3, W3_2 and W5 (inferred: the slot attention's W₁ and W₂ and the value map W₃)
    /// from N(0, 1); the expansion to L slots keeps its initialisation.</summary>
    void Extractors.IStandardNormalInitializable.InitializeStandardNormal()
    {
        using var noGrad = no_grad();
        nn.init.normal_(w_1.weight!, 0, 1);   // W3: [d, d]
        nn.init.normal_(w_2.weight!, 0, 1);   // W3_2: [L, d]
        nn.init.normal_(w_3.weight!, 0, 1);   // W5: [d, d]
    }

    /// <inheritdoc />
    public string Name => "construct";

    /// <summary>The options.</summary>
    public ReConstructOptions Options => _options;

    /// <inheritdoc />
    public Tensor ComputeLoss(BackwardFlowContext context) => Loss(context, _options.Normalization);

    /// <summary>The mean squared error per dimension on the positive cells (a diagnostic, whatever the training average).</summary>
    public double ReconstructionError(BackwardFlowContext context)
    {
        using var loss = Loss(context, FlowNormalization.Positives);
        return loss.item<float>();
    }

    private Tensor Loss(BackwardFlowContext context, FlowNormalization normalization)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var scope = NewDisposeScope();
        var shared = FlowSharedInputs.For(context, out var owned);
        using var ownedShared = owned;
        var z = FlowVectors.Scaled(context.Interests, _options.Scaling);               // [B, K, d]
        var x = FlowVectors.Scaled(context.History, _options.Scaling);                 // [B, L, d]
        long b = z.shape[0], k = z.shape[1], l = x.shape[1], d = _dimension;
        if (l > _maxLength) throw new ArgumentException($"History length {l} exceeds the generator's {_maxLength} slots.", nameof(context));
        // Narrowed only when the batch is shorter than L: narrow's backward fills a zero tensor of the whole input and
        // copies the gradient into it, two passes over [B, K, L, d] that give the same values when nothing is cut.
        var q = expand.forward(z).view(b, k, _maxLength, d);                           // [B, K, L_max, d]
        if (l < _maxLength) q = q.narrow(2, 0, l);                                     // Q: [B, K, L, d]
        // In place where autograd allows: a linear layer's backward needs its input, not its output, and tanh's
        // backward reads its own output.
        var logits = w_2.forward(w_1.forward(q).tanh_());                              // [B, K, L(slots), L_max(positions)]
        if (l < _maxLength) logits = logits.narrow(3, 0, l);
        logits = logits.transpose(2, 3);                                               // G: [B, K, L(positions), L(slots)]
        var padding = shared.Padding.unsqueeze(1);                                     // [B, 1, 1, L]: slot j is history position j
        var g = logits.masked_fill(padding, TorchScalars.MaskValue).softmax(-1);
        var values = w_3.forward(q);                                                   // Q·W₃: [B, K, L(slots), d]
        var (positives, _) = shared.Positives(_options.Threshold, _options.FixedThreshold);
        // Times the 0/1 positive weights rather than masked_fill: the same values for a finite error, and libtorch
        // vectorises a broadcast multiply where its masked_fill (and masked_fill's backward) is a scalar loop over all
        // B·K·L·d cells.
        var weights = positives.to(values.dtype);                                      // [B, K, L]
        Tensor total;
        if (context.Kernel == Training.LogitsKernel.Managed && ManagedReconstructionError.Supports(g, values, x, weights))
        {
            // One function for X̃, the error and its weighted sum, and their gradients; it skips the cells that are not positives.
            total = ManagedReconstructionError.Sum(g, values, x, weights);
        }
        else
        {
            var reconstructed = g.matmul(values);                                      // X̃: [B, K, L, d]
            var error = (reconstructed - x.unsqueeze(1)).Squared();                    // [B, K, L, d]
            // In place: the square's backward needs its input, not its output.
            total = error.mul_(weights.unsqueeze(-1)).sum();
        }

        using var cells = (b * k * l * d).ToScalar();   // owned: a temporary Scalar may be freed mid-call
        using var dimension = d.ToScalar();
        var loss = normalization == FlowNormalization.AllCells
            ? total / cells
            : total / (positives.sum().clamp_min(TorchScalars.One) * dimension);
        return loss.MoveToOuterDisposeScope();
    }
}
