namespace Re4.Recommenders.Tuning;

/// <summary>What <see cref="SuccessiveHalvingTuner.Run"/> found. Immutable.</summary>
/// <param name="Configurations">Every configuration sampled, in order: the values of the tuned parameters.</param>
/// <param name="Trials">Every trial, in the order they ran (rung by rung).</param>
/// <param name="Best">The configuration the last rung kept.</param>
/// <param name="BestTrial">Its trial of the last rung.</param>
public sealed record TuningResult(IReadOnlyList<IReadOnlyDictionary<TunedParameter, double>> Configurations, IReadOnlyList<TuningTrial> Trials,
    int Best, TuningTrial BestTrial);
