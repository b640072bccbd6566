namespace Re4.Recommenders.Hosting;

/// <summary>The exact scorer a <see cref="Re4RecommenderService"/> retrieves with. Both return identical lists (see
/// <see cref="Scoring.ICandidateScorer"/>); other scorers plug in through
/// <see cref="Re4RecommenderOptions.ScorerFactory"/>.</summary>
public enum ServingScorer
{
    /// <summary><see cref="Scoring.TorchCandidateScorer"/> when the model is on CUDA, else
    /// <see cref="Scoring.ManagedCandidateScorer"/>.</summary>
    Auto,

    /// <summary><see cref="Scoring.ManagedCandidateScorer"/> (managed memory, CPU FMA kernel), whatever the device.</summary>
    Managed,

    /// <summary><see cref="Scoring.TorchCandidateScorer"/> on the model's device.</summary>
    Torch,
}
