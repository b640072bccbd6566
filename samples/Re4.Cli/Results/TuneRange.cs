namespace Re4.Cli;

/// <summary>Where a parameter was searched, in <c>tune.json</c>.</summary>
/// <param name="Low">Lower end.</param>
/// <param name="High">Upper end.</param>
/// <param name="Scale"><c>log</c> or <c>linear</c>.</param>
internal sealed record TuneRange(double Low, double High, string Scale);
