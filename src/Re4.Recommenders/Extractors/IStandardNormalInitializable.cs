namespace Re4.Recommenders.Extractors;

/// <summary>A module whose weight matrices can be redrawn from a standard normal, the Re4 reference code's initialisation
/// (<see cref="MatrixInitialization.StandardNormal"/>).</summary>
internal interface IStandardNormalInitializable
{
    /// <summary>Redraws the matrices the reference code declares as raw parameters from N(0, 1), from torch's global
    /// generator, in a fixed order (so a seed gives the same weights).</summary>
    void InitializeStandardNormal();
}
