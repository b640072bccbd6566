namespace Re4.Cli;

/// <summary>One scorer's figures in <c>re4 bench scoring --json</c> (docs/cli.md): throughput, its ratios to this
/// machine's matmul and FMA peak, latency, memory and build time.</summary>
internal class ScorerFigures
{
    // Not "required": the report copies a scorer's figures through the copy constructor below, and Figures() sets them all.
    public ScorerFigures()
    {
    }

    /// <summary>A copy of <paramref name="figures"/> (the bench report repeats the best scorer's figures at its top).</summary>
    protected ScorerFigures(ScorerFigures figures)
    {
        UsersPerSecond = figures.UsersPerSecond;
        Gflops = figures.Gflops;
        RatioToMatmul = figures.RatioToMatmul;
        RatioToFmaPeak = figures.RatioToFmaPeak;
        BatchSeconds = figures.BatchSeconds;
        LatencyMs = figures.LatencyMs;
        LatencyToStream = figures.LatencyToStream;
        PeakExtraBytes = figures.PeakExtraBytes;
        AllocatedBytes = figures.AllocatedBytes;
        BuildSeconds = figures.BuildSeconds;
        CoresUsed = figures.CoresUsed;
    }

    public double UsersPerSecond { get; init; }

    public double Gflops { get; init; }

    public double RatioToMatmul { get; init; }

    public double RatioToFmaPeak { get; init; }

    public double BatchSeconds { get; init; }

    public double LatencyMs { get; init; }

    public double LatencyToStream { get; init; }

    public long PeakExtraBytes { get; init; }

    public long AllocatedBytes { get; init; }

    public double BuildSeconds { get; init; }

    public double CoresUsed { get; init; }
}
