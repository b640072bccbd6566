namespace Re4.Cli;

/// <summary>One phase of <c>re4 bench train --json</c>: its name (a flow's name for a flow), mean time per step and
/// share of the step.</summary>
internal sealed class TrainBenchPhase
{
    public required string Phase { get; init; }

    public required string Name { get; init; }

    public required double Ms { get; init; }

    public required double Share { get; init; }
}
