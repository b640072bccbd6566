namespace Re4.Cli;

/// <summary>One rung of <c>tune.json</c>'s schedule.</summary>
/// <param name="Rung">Its number (0 first).</param>
/// <param name="Configurations">How many configurations it trains.</param>
/// <param name="Steps">The step each is trained to.</param>
internal sealed record TuneRung(int Rung, int Configurations, long Steps);
