namespace Re4.Cli;

/// <summary>libtorch's fp32 product rate, in GFLOP/s, for the three products of a full-softmax step's logits:
/// forward U·Eᵀ <c>[B, d]·[d, N]</c>, the interests' gradient G·E <c>[B, N]·[N, d]</c> and the table's Gᵀ·U
/// <c>[N, B]·[B, d]</c>.</summary>
internal sealed class TrainBenchMatmul
{
    public required double Forward { get; init; }

    public required double GradInterests { get; init; }

    public required double GradTable { get; init; }
}
