using System.Text.Json.Serialization;

namespace Re4.Cli;

/// <summary>The object <c>re4 bench scoring --json</c> prints: the faster scorer's name and figures, this machine's
/// reference speeds, the run's settings, and every scorer's figures under <c>scorers</c>. The explicit orders put the
/// inherited figures right after <c>scorer</c>, as the text of docs/cli.md lists them.</summary>
internal sealed class BenchReport : ScorerFigures
{
    /// <summary>A report whose top-level figures are <paramref name="best"/>'s.</summary>
    public BenchReport(ScorerFigures best)
        : base(best)
    {
    }

    [JsonPropertyOrder(-1)]
    public required string Scorer { get; init; }

    [JsonPropertyOrder(1)]
    public required double MatmulGflops { get; init; }

    [JsonPropertyOrder(1)]
    public required double FmaPeakGflops { get; init; }

    [JsonPropertyOrder(1)]
    public required double StreamMs { get; init; }

    [JsonPropertyOrder(1)]
    public required double StreamGbPerSecond { get; init; }

    [JsonPropertyOrder(1)]
    public required int Items { get; init; }

    [JsonPropertyOrder(1)]
    public required int Dim { get; init; }

    [JsonPropertyOrder(1)]
    public required int Interests { get; init; }

    [JsonPropertyOrder(1)]
    public required int Users { get; init; }

    [JsonPropertyOrder(1)]
    public required int Top { get; init; }

    [JsonPropertyOrder(1)]
    public required string Device { get; init; }

    [JsonPropertyOrder(1)]
    public required int Threads { get; init; }

    [JsonPropertyOrder(1)]
    public required int Repeat { get; init; }

    /// <summary>Scorer name → its figures, in the order they ran.</summary>
    [JsonPropertyOrder(2)]
    public required IReadOnlyDictionary<string, ScorerFigures> Scorers { get; init; }
}
