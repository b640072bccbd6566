namespace Re4.Cli;

/// <summary>One scorer's figures in <c>re4 bench scoring --json</c> (docs/cli.md): throughput, its ratios to this
/// machine's matmul and FMA peak, latency, memory and build time.</summary>
internal class ScorerFigures
{
    public required double UsersPerSecond { get; init; }

    public required double Gflops { get; init; }

    public required double RatioToMatmul { get; init; }

    public required double RatioToFmaPeak { get; init; }

    public required double BatchSeconds { get; init; }

    public required double LatencyMs { get; init; }

    public required double LatencyToStream { get; init; }

    public required long PeakExtraBytes { get; init; }

    public required long AllocatedBytes { get; init; }

    public required double BuildSeconds { get; init; }

    public required double CoresUsed { get; init; }
}
