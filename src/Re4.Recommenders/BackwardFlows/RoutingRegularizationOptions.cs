namespace Re4.Recommenders.BackwardFlows;

/// <summary>Options of <see cref="RoutingRegularizationFlow"/> (REMI's routing regularisation, docs/remi.md); defaults
/// reproduce the REMI reference code and are declared once, as the initialisers (<c>new RoutingRegularizationOptions()</c>
/// reads them).</summary>
public sealed record RoutingRegularizationOptions
{
    /// <summary>λ<sub>RR</sub>, the loss weight (default 100, the reference's value on every data set).</summary>
    public double Weight { get; init; } = 100;

    /// <summary>Which entries are centred and summed (default all L slots, as the reference code).</summary>
    public RoutingCentering Centering { get; init; } = RoutingCentering.AllSlots;

    /// <summary>How users are combined (default the sum over the batch, as the reference code).</summary>
    public RoutingBatchReduction Reduction { get; init; } = RoutingBatchReduction.Sum;

    internal void Validate()
    {
        OptionChecks.NonNegativeFinite(Weight, nameof(Weight));
        if (!Enum.IsDefined(Centering)) throw new ArgumentOutOfRangeException(nameof(Centering), Centering, "Centering must be AllSlots or ValidItems.");
        if (!Enum.IsDefined(Reduction)) throw new ArgumentOutOfRangeException(nameof(Reduction), Reduction, "Reduction must be Sum or Mean.");
    }
}
