namespace Re4.Recommenders.Training;

/// <summary>REMI's interest-aware hard negatives (docs/remi.md, "IHN"): each negative of the main loss's softmax is weighted
/// by w<sub>j</sub> = exp(β·s<sub>j</sub>) / mean<sub>i</sub> exp(β·s<sub>i</sub>), s<sub>j</sub> its score under the interest selected for
/// the target, so that the negatives that are hard for that interest dominate the denominator. Composes with every
/// <see cref="NegativeSampling"/> (with log-uniform, the logQ correction stays in the weighted term; with a full
/// softmax, every other item is a negative). Defaults are declared once, as the initialisers.</summary>
public sealed record HardNegativeOptions
{
    /// <summary>β, the hardness (default 1; the REMI reference uses 10, 1 and 0.1 on its three data sets). 0 is the plain
    /// softmax, computed by the plain loss's own code.</summary>
    public double Beta { get; init; } = 1;

    /// <summary>Stop the gradient through the weights w (default false: the reference code lets it flow).</summary>
    public bool DetachWeights { get; init; }

    internal void Validate() => OptionChecks.NonNegativeFinite(Beta, nameof(Beta));
}
