namespace Re4.Recommenders.Tuning;

/// <summary>A hyperparameter <see cref="SuccessiveHalvingTuner"/> searches (Re4's τ and λ, and Adam's learning rate).</summary>
public enum TunedParameter
{
    /// <summary>τ, re-contrast's temperature (<see cref="BackwardFlows.ReContrastOptions.Temperature"/>).</summary>
    Temperature,

    /// <summary>λ_ct, re-contrast's weight.</summary>
    LambdaContrast,

    /// <summary>λ_att, re-attend's weight.</summary>
    LambdaAttend,

    /// <summary>λ_cs, re-construct's weight.</summary>
    LambdaConstruct,

    /// <summary>Adam's learning rate (<see cref="Training.TrainerOptions.LearningRate"/>).</summary>
    LearningRate,
}
