namespace Re4.Cli;

/// <summary>The successive-halving schedule of <c>tune.json</c>.</summary>
/// <param name="Configurations">n, configurations sampled.</param>
/// <param name="Eta">η.</param>
/// <param name="MinSteps">Steps of the first rung.</param>
/// <param name="Rungs">Each rung: its configurations and steps.</param>
internal sealed record TuneSchedule(int Configurations, int Eta, long MinSteps, IReadOnlyList<TuneRung> Rungs);
