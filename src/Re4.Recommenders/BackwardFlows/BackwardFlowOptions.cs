using System.Text.Json.Serialization;

namespace Re4.Recommenders.BackwardFlows;

/// <summary>Which history items count as an interest's positives (its representative items).</summary>
public enum PositiveThreshold
{
    /// <summary>A<sub>k,l</sub> &gt; 1/n<sub>b</sub>, n<sub>b</sub> the user's valid items (reference code and paper). Strict, so a
    /// user with one item (A = 1 = γ) has no positive.</summary>
    Adaptive,

    /// <summary>A<sub>k,l</sub> &gt; <see cref="ReContrastOptions.FixedThreshold"/> (or the re-construct one).</summary>
    Fixed,
}

/// <summary>How a flow's per-cell losses are averaged.</summary>
public enum FlowNormalization
{
    /// <summary>Over all B·K·L cells (B·K·L·d for re-construct), non-positives counting as 0: the reference code.</summary>
    AllCells,

    /// <summary>Over the positive cells only: the paper-natural mean (0 when a batch has no positive).</summary>
    Positives,
}

/// <summary>Options of <see cref="ReContrastFlow"/>; defaults reproduce the Re4 reference code and are declared once, as
/// the initialisers (<c>new ReContrastOptions()</c> reads them).</summary>
public sealed record ReContrastOptions
{
    /// <summary>λ<sub>ct</sub>, the loss weight (default 0.1).</summary>
    public double Weight { get; init; } = 0.1;

    /// <summary>τ, the temperature of the cosine similarities (default 0.02).</summary>
    public double Temperature { get; init; } = 0.02;

    /// <summary>How positives are chosen (default adaptive 1/n).</summary>
    public PositiveThreshold Threshold { get; init; } = PositiveThreshold.Adaptive;

    /// <summary>γ when <see cref="Threshold"/> is <see cref="PositiveThreshold.Fixed"/> (default 0.1).</summary>
    public double FixedThreshold { get; init; } = 0.1;

    /// <summary>Averaging (default all cells, as the reference code).</summary>
    public FlowNormalization Normalization { get; init; } = FlowNormalization.AllCells;

    /// <summary>Include the valid history items of another user of the batch (the batch rolled by one) among the
    /// negatives, as the reference code does (default true). The paper's text describes "items not in the sequence".</summary>
    public bool NeighbourNegatives { get; init; } = true;

    internal void Validate()
    {
        OptionChecks.NonNegativeFinite(Weight, nameof(Weight));
        OptionChecks.PositiveFactor(Temperature, nameof(Temperature), inverted: true);
        if (FixedThreshold is < 0 or >= 1 || double.IsNaN(FixedThreshold)) throw new ArgumentOutOfRangeException(nameof(FixedThreshold), FixedThreshold, "FixedThreshold must be in [0, 1).");
    }
}

/// <summary>Options of <see cref="ReAttendFlow"/>; defaults reproduce the Re4 reference code and are declared once, as
/// the initialisers (<c>new ReAttendOptions()</c> reads them).</summary>
public sealed record ReAttendOptions
{
    /// <summary>λ<sub>att</sub>, the loss weight (default 0.001).</summary>
    public double Weight { get; init; } = 0.001;

    /// <summary>Stop the gradient through the re-attention target R (default false: the reference code detaches nothing).</summary>
    public bool DetachTarget { get; init; }

    /// <summary>Which vectors give the target R (default <see cref="FlowScaling.Reference"/>: the raw Z·Xᵀ, whose sharpness
    /// depends on the embeddings' scale).</summary>
    public FlowScaling Scaling { get; init; } = FlowScaling.Reference;

    internal void Validate()
    {
        OptionChecks.NonNegativeFinite(Weight, nameof(Weight));
        if (!Enum.IsDefined(Scaling)) throw new ArgumentOutOfRangeException(nameof(Scaling), Scaling, "Unknown flow scaling.");
    }
}

/// <summary>Options of <see cref="ReConstructFlow"/>; defaults reproduce the Re4 reference code and are declared once, as
/// the initialisers (<c>new ReConstructOptions()</c> reads them).</summary>
public sealed record ReConstructOptions
{
    /// <summary>λ<sub>cs</sub>, the loss weight (default 0.1).</summary>
    public double Weight { get; init; } = 0.1;

    /// <summary>How positives are chosen (default adaptive 1/n).</summary>
    public PositiveThreshold Threshold { get; init; } = PositiveThreshold.Adaptive;

    /// <summary>γ when <see cref="Threshold"/> is fixed (default 0.1).</summary>
    public double FixedThreshold { get; init; } = 0.1;

    /// <summary>Averaging (default all B·K·L·d entries, as the reference code).</summary>
    public FlowNormalization Normalization { get; init; } = FlowNormalization.AllCells;

    /// <summary>Which vectors are generated from and scored against (default <see cref="FlowScaling.Reference"/>: the raw
    /// Z and X, whose squared error scales with ‖x‖²).</summary>
    public FlowScaling Scaling { get; init; } = FlowScaling.Reference;

    internal void Validate()
    {
        OptionChecks.NonNegativeFinite(Weight, nameof(Weight));
        if (!Enum.IsDefined(Scaling)) throw new ArgumentOutOfRangeException(nameof(Scaling), Scaling, "Unknown flow scaling.");
        if (FixedThreshold is < 0 or >= 1 || double.IsNaN(FixedThreshold)) throw new ArgumentOutOfRangeException(nameof(FixedThreshold), FixedThreshold, "FixedThreshold must be in [0, 1).");
    }
}

/// <summary>The backward flows a trainer adds to the main loss. Null entries are off.</summary>
public sealed record BackwardFlowOptions
{
    /// <summary>Re-contrast, or null.</summary>
    public ReContrastOptions? Contrast { get; init; }

    /// <summary>Re-attend, or null.</summary>
    public ReAttendOptions? Attend { get; init; }

    /// <summary>Re-construct, or null.</summary>
    public ReConstructOptions? Construct { get; init; }

    /// <summary>REMI's routing regularisation (<see cref="RoutingRegularizationFlow"/>, docs/remi.md), or null. Not part of
    /// <see cref="Reference"/>, which is Re4's three flows.</summary>
    public RoutingRegularizationOptions? Routing { get; init; }

    /// <summary>All three with the reference code's settings (λ_att 0.001, λ_ct 0.1, λ_cs 0.1, τ 0.02, γ = 1/n).</summary>
    public static BackwardFlowOptions Reference { get; } = new() { Contrast = new(), Attend = new(), Construct = new() };

    /// <summary>True when no flow is on.</summary>
    [JsonIgnore]
    public bool IsEmpty => Contrast is null && Attend is null && Construct is null && Routing is null;

    internal void Validate()
    {
        // Each flow has a Weight: the parameter name says whose (Contrast.Weight), so a front end can name its own flag.
        Check(nameof(Contrast), Contrast is null ? null : Contrast.Validate);
        Check(nameof(Attend), Attend is null ? null : Attend.Validate);
        Check(nameof(Construct), Construct is null ? null : Construct.Validate);
        Check(nameof(Routing), Routing is null ? null : Routing.Validate);
    }

    private static void Check(string flow, Action? validate)
    {
        try
        {
            validate?.Invoke();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new ArgumentOutOfRangeException($"{flow}.{e.ParamName}", e.ActualValue, $"{flow}.{OptionChecks.Reason(e)}");
        }
    }
}
