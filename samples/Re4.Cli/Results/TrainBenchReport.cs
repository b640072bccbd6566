namespace Re4.Cli;

/// <summary>The object <c>re4 bench train --json</c> prints (docs/cli.md): the run's settings, the step's time and
/// throughput, each phase's time, the logits' rate and this machine's reference speeds measured in the same run.</summary>
internal sealed class TrainBenchReport
{
    public required string Model { get; init; }

    public required string Data { get; init; }

    public required int Items { get; init; }

    public required int TrainUsers { get; init; }

    public required int Interests { get; init; }

    public required int Dim { get; init; }

    public required int MaxLen { get; init; }

    public required int BatchSize { get; init; }

    public required string Sampler { get; init; }

    public required IReadOnlyList<string> Flows { get; init; }

    public required string Device { get; init; }

    /// <summary>libtorch's intra-op threads during the run.</summary>
    public required int Threads { get; init; }

    public required int Prefetch { get; init; }

    public required int Steps { get; init; }

    public required int Warmup { get; init; }

    /// <summary>Mean wall time of a whole step, sampling included.</summary>
    public required double StepMs { get; init; }

    public required double SamplesPerSecond { get; init; }

    /// <summary>CPU time of the process over wall time during the timed steps (below the threads when other processes
    /// took cores).</summary>
    public required double CoresUsed { get; init; }

    /// <summary>The process's CPU time over the timed steps, per step (all threads): the figure to compare on a machine
    /// that other processes share, where wall time also measures their load.</summary>
    public required double CpuMsPerStep { get; init; }

    /// <summary>The C library allocator's setting: <c>retained</c>, <c>environment</c> or <c>default</c> (see
    /// <see cref="Program.Allocator"/>).</summary>
    public required string Allocator { get; init; }

    /// <summary>The change of the process's resident set over the timed steps (after a full collection before and
    /// after; Linux, 0 elsewhere): near 0 when a step allocates nothing that stays.</summary>
    public required long ResidentGrowthBytes { get; init; }

    /// <summary>The change of the managed heap over the timed steps, after a full collection before and after.</summary>
    public required long ManagedGrowthBytes { get; init; }

    /// <summary>Each phase in step order.</summary>
    public required IReadOnlyList<TrainBenchPhase> Phases { get; init; }

    /// <summary>Which code computed the logits: <c>torch</c> or <c>managed</c> (<c>--logits-kernel</c>).</summary>
    public string LogitsKernel { get; init; } = "torch";

    /// <summary>Floating-point work of the main loss's logits per step, forward and backward (6·B·d·N for a full
    /// softmax, 6·B·d·S sampled).</summary>
    public required double LogitsGflopPerStep { get; init; }

    /// <summary>The logits' forward rate inside the step: 2·B·d·N over the <c>logits</c> phase.</summary>
    public required double LogitsGflops { get; init; }

    /// <summary><see cref="LogitsGflops"/> over <see cref="FmaPeakGflops"/>.</summary>
    public required double LogitsToFmaPeak { get; init; }

    /// <summary>The logits' forward and backward work over the whole step's time: what share of the machine the step
    /// turns into the product that dominates it.</summary>
    public required double StepGflops { get; init; }

    /// <summary>libtorch's product alone for the logits' three shapes, outside the step.</summary>
    public required TrainBenchMatmul Matmul { get; init; }

    public required double FmaPeakGflops { get; init; }

    /// <summary><see cref="StepGflops"/> over the mean of the three products' rates (1 would be a step that did nothing
    /// but the logits' products at libtorch's speed).</summary>
    public required double StepToMatmul { get; init; }
}
