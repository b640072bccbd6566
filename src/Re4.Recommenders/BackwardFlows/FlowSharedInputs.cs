using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.BackwardFlows;

/// <summary>
/// What several backward flows derive from the same step's A and m without a gradient (the padding cells, the positive
/// cells for a threshold), computed once on first use and reused by the later flows of the step. Each value is computed by
/// exactly the operations a flow used to run itself, so sharing changes no bit of any loss or gradient. Vectors that
/// carry a gradient (the normalised Z and X) are not shared: a shared node would sum the flows' gradients before its
/// backward instead of after, another float order.
/// </summary>
/// <remarks>Owns the tensors it makes (detached from every dispose scope, so a flow's scope does not free them) and
/// disposes them with itself; the autograd graph keeps what backward needs. Not thread-safe: one per step.</remarks>
internal sealed class FlowSharedInputs : IDisposable
{
    private readonly Tensor _attention;
    private readonly Tensor _mask;
    private readonly List<Tensor> _owned = [];
    private Tensor? _padding;
    private (PositiveThreshold Kind, double Fixed, Tensor Positives, Tensor NotPositives)? _positives;

    /// <summary>Shares what is derived from <paramref name="context"/>'s tensors (borrowed, not owned).</summary>
    public FlowSharedInputs(BackwardFlowContext context)
    {
        _attention = context.Attention;
        _mask = context.Mask;
    }

    /// <summary>The context's shared inputs, or a new set that <paramref name="owned"/> must dispose when the context
    /// carries none (a flow called outside <see cref="Training.MultiInterestObjective"/>).</summary>
    public static FlowSharedInputs For(BackwardFlowContext context, out FlowSharedInputs? owned)
    {
        owned = context.Shared is null ? new FlowSharedInputs(context) : null;
        return context.Shared ?? owned!;
    }

    /// <summary>Padding cells, boolean <c>[B, 1, L]</c> (m = 0).</summary>
    public Tensor Padding => _padding ??= Keep(_mask.eq(TorchScalars.Zero).unsqueeze(1));

    /// <summary>The positive cells (<see cref="BackwardFlows.Positives.Of"/>) and their complement, both boolean
    /// <c>[B, K, L]</c>; kept for the last threshold asked (the flows of a run share one).</summary>
    public (Tensor Positives, Tensor NotPositives) Positives(PositiveThreshold threshold, double fixedThreshold)
    {
        if (_positives is { } p && p.Kind == threshold && (threshold == PositiveThreshold.Adaptive || p.Fixed.Equals(fixedThreshold)))
            return (p.Positives, p.NotPositives);
        var positives = Keep(BackwardFlows.Positives.Of(_attention, _mask, threshold, fixedThreshold));
        var notPositives = Keep(positives.logical_not());
        _positives = (threshold, fixedThreshold, positives, notPositives);
        return (positives, notPositives);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in _owned) t.Dispose();
        _owned.Clear();
        _padding = null;
        _positives = null;
    }

    private Tensor Keep(Tensor t)
    {
        t.DetachFromDisposeScope();   // owned here: the calling flow's scope must not free it
        _owned.Add(t);
        return t;
    }
}
