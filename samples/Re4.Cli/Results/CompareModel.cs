namespace Re4.Cli;

/// <summary>One model of <c>compare.json</c>: its runs, and the mean and sample std of each table metric over them.</summary>
/// <param name="Model">The model's name.</param>
/// <param name="Runs">One run per seed (one for most-popular).</param>
/// <param name="Mean">Metric → mean over the runs.</param>
/// <param name="Std">Metric → sample standard deviation over the runs (0 for one run).</param>
internal sealed record CompareModel(string Model, IReadOnlyList<CompareRun> Runs, IReadOnlyDictionary<string, double> Mean,
    IReadOnlyDictionary<string, double> Std)
{
    /// <summary>The values of <c>--tuned</c> the model was trained with (flag name → value); absent when not tuned.</summary>
    public IReadOnlyDictionary<string, double>? Tuned { get; init; }

    /// <summary>The <c>tune.json</c> they came from; absent when not tuned.</summary>
    public string? TunedFrom { get; init; }
}
