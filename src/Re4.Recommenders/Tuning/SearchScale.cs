namespace Re4.Recommenders.Tuning;

/// <summary>How a <see cref="SearchRange"/> is sampled.</summary>
public enum SearchScale
{
    /// <summary>Uniform between the ends.</summary>
    Linear,

    /// <summary>Uniform in the logarithm (each decade as likely): for weights, temperatures and learning rates.</summary>
    Log,
}
