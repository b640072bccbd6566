namespace Re4.Recommenders.Evaluation;

/// <summary>Options of <see cref="RetrievalEvaluator"/>.</summary>
public sealed class EvaluationOptions
{
    /// <summary>The N of the top-N metrics (default 20 and 50).</summary>
    public IReadOnlyList<int> Cutoffs { get; set; } = new[] { 20, 50 };

    /// <summary>Remove each user's history items from its candidates (default false: ComiRec does not filter).</summary>
    public bool ExcludeHistory { get; set; }

    /// <summary>Users per call to the recommender (default 256).</summary>
    public int BatchSize { get; set; } = 256;

    /// <summary>Keep every user's ranked list (top max-N) in <see cref="EvaluationResult.Recommendations"/>, e.g. to dump it.</summary>
    public bool KeepRecommendations { get; set; }

    internal void Validate()
    {
        if (Cutoffs is null || Cutoffs.Count == 0) throw new ArgumentException("At least one cutoff is needed.", nameof(Cutoffs));
        foreach (var n in Cutoffs)
        {
            if (n <= 0) throw new ArgumentOutOfRangeException(nameof(Cutoffs), n, "Cutoffs must be positive.");
        }

        if (BatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "Must be positive.");
    }
}

/// <summary>Progress of an evaluation: users done of the total.</summary>
/// <param name="UsersDone">Users evaluated so far.</param>
/// <param name="UsersTotal">Users to evaluate.</param>
public readonly record struct EvaluationProgress(int UsersDone, int UsersTotal);
