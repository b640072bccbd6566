using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Training;

/// <summary>
/// The library's training objective: L = L_main + Σ λ·L_flow (docs/concepts.md, "Main loss" and "Backward flows"), the
/// main loss a sampled or full softmax of the best-matching interest, the flows Re4's (from
/// <see cref="BackwardFlowOptions"/>) and any of your own. Reports <c>main</c>, then each flow's part by its name.
/// </summary>
/// <remarks>The flows are built here, in the order contrast, attend, construct, then the custom ones; the re-construct
/// generator draws its initial weights from torch's generator when built. Not thread-safe.</remarks>
public sealed class MultiInterestObjective : ITrainingObjective
{
    private readonly WeightedBackwardFlow[] _flows;
    private readonly nn.Module[] _modules;
    private readonly HardNegativeOptions? _hardNegatives;

    /// <summary>Builds the objective for a model of <paramref name="config"/>.</summary>
    /// <param name="config">The model's architecture (the re-construct generator needs its d and L).</param>
    /// <param name="backwardFlows">Re4's flows to add; null for none (plain main loss).</param>
    /// <param name="customFlows">Further flows of your own, each with its weight λ, added after Re4's.</param>
    /// <param name="hardNegatives">REMI's interest-aware hard negatives in the main loss (docs/remi.md); null for none.</param>
    public MultiInterestObjective(ModelConfig config, BackwardFlowOptions? backwardFlows = null, IReadOnlyList<WeightedBackwardFlow>? customFlows = null,
        HardNegativeOptions? hardNegatives = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        backwardFlows ??= new BackwardFlowOptions();
        backwardFlows.Validate();
        customFlows ??= [];
        TrainerOptions.ValidateCustomFlows(customFlows, nameof(customFlows));
        var flows = new List<WeightedBackwardFlow>();
        if (backwardFlows.Contrast is { } contrast) flows.Add(new(new ReContrastFlow(contrast), contrast.Weight));
        if (backwardFlows.Attend is { } attend) flows.Add(new(new ReAttendFlow(attend), attend.Weight));
        if (backwardFlows.Construct is { } construct)
        {
            var generator = new ReConstructFlow(config.Dimension, config.MaxLength, construct);
            if (config.MatrixInitialization == Extractors.MatrixInitialization.StandardNormal)
                ((Extractors.IStandardNormalInitializable)generator).InitializeStandardNormal();
            flows.Add(new(generator, construct.Weight));
        }
        if (backwardFlows.Routing is { } routing) flows.Add(new(new RoutingRegularizationFlow(routing), routing.Weight));
        flows.AddRange(customFlows);
        _flows = flows.ToArray();
        _modules = _flows.Select(f => f.Flow).OfType<nn.Module>().ToArray();
        if (hardNegatives is not null)
        {
            try
            {
                hardNegatives.Validate();
            }
            catch (ArgumentOutOfRangeException e)
            {
                throw new ArgumentOutOfRangeException($"{nameof(hardNegatives)}.{e.ParamName}", e.ActualValue, OptionChecks.Reason(e));
            }
        }

        _hardNegatives = hardNegatives;
    }

    /// <summary>The interest-aware hard negatives of the main loss, or null for none.</summary>
    public HardNegativeOptions? HardNegatives => _hardNegatives;

    /// <inheritdoc />
    public IReadOnlyList<WeightedBackwardFlow> Flows => _flows;

    /// <inheritdoc />
    public IReadOnlyList<nn.Module> Modules => _modules;

    /// <inheritdoc />
    public Tensor ComputeLoss(TrainingStepContext context, StepLossParts parts)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(parts);
        var main = ComputeMainLoss(context, _hardNegatives);
        parts.Add("main", main);
        StepProfiler.Mark(StepPhase.Objective);
        if (_flows.Length == 0) return main;
        var total = main;
        // What the flows share (padding, unit Z and X, positives) is computed once for all of them.
        var flowContext = context.FlowContext();
        using var shared = new FlowSharedInputs(flowContext);
        flowContext = flowContext with { Shared = shared };
        foreach (var (flow, weight) in _flows)
        {
            var loss = flow.ComputeLoss(flowContext);
            parts.Add(flow.Name, loss);
            StepProfiler.Mark(StepPhase.Flow, flow.Name);
            using var w = weight.ToScalar();   // owned: a temporary Scalar may be freed mid-call
            total = total.Plus(loss.mul(w));
        }

        return total;
    }

    /// <summary>The main loss alone: k* = argmax_k ⟨u_k, e_y⟩ (no gradient through the choice), then a softmax of
    /// ⟨u_k*, e⟩ over the target and the batch's negatives (with the logQ correction when the context has one), or over
    /// every item when the context has no negatives; averaged over the batch. A scalar tensor.</summary>
    public static Tensor ComputeMainLoss(TrainingStepContext context) => ComputeMainLoss(context, null);

    /// <summary>The main loss alone, with REMI's interest-aware hard negatives (docs/remi.md, "IHN") when
    /// <paramref name="hardNegatives"/> is given with β &gt; 0; null or β = 0 is <see cref="ComputeMainLoss(TrainingStepContext)"/>,
    /// computed by the same code. A scalar tensor.</summary>
    public static Tensor ComputeMainLoss(TrainingStepContext context, HardNegativeOptions? hardNegatives)
    {
        ArgumentNullException.ThrowIfNull(context);
        var interests = context.Output.RetrievalInterests;
        var table = context.ItemTable;
        if (hardNegatives is { Beta: > 0 } ihn)
        {
            return context.NegativeItems is { } sampled
                ? HardNegativeLoss.Sampled(interests, table, context.Targets, sampled, context.NegativeLogExpected, context.TargetLogExpected, ihn)
                : HardNegativeLoss.Full(interests, table, context.Targets, ihn);
        }

        return context.NegativeItems is { } negatives
            ? MainLoss.Sampled(interests, table, context.Targets, negatives, context.NegativeLogExpected, context.TargetLogExpected)
            : MainLoss.Full(interests, table, context.Targets, context.LogitsKernel);
    }
}
