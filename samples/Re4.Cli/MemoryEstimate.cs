using System.Globalization;
using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;

namespace Re4.Cli;

/// <summary>A rough estimate of the memory a training run needs at its peak, from its sizes alone (N items, d, K, L, B),
/// so that <c>re4 train</c> refuses sizes the machine cannot hold with one line, before libtorch fails natively (an
/// allocation of terabytes aborts the process rather than throwing). It counts the largest tensors (float32, 4 bytes):
/// the item table with its gradient, Adam's two moments and the scorer's copy; one step's activations and their
/// gradients; one evaluation batch with the diagnostics' K × K interest similarities. It is an order of magnitude, not
/// a budget: a run under it may still need more.</summary>
public static class MemoryEstimate
{
    private const long Float = 4;

    /// <summary>Bytes the run needs at least, about.</summary>
    public static double TrainingBytes(ModelConfig config, TrainerOptions options)
    {
        double n = config.ItemCount + 1, d = config.Dimension, k = config.EffectiveInterests, l = config.MaxLength, b = options.BatchSize;
        double e = options.EvaluationBatchSize;
        var softmax = options.ResolveNegatives(config.ItemCount);
        var negatives = softmax == NegativeSampling.Full ? n : options.NegativeCount ?? (softmax == NegativeSampling.Uniform ? 5000 : 10 * b);
        var table = n * d * Float * 5;                                   // weights, gradient, Adam's m and v, the scorer's copy
        var step = b * k * l * Float * 8                                 // attention logits, A, log A and their gradients
            + b * k * d * Float * 8                                      // interests, retrieval vectors and gradients
            + b * l * d * Float * 4                                      // the history's embeddings and gradients
            + b * (negatives + 1) * Float * 4;                           // logits, softmax and gradients
        if (options.BackwardFlows.Construct is not null) step += b * k * l * d * Float * 4;   // re-construct's [B, K, L, d]
        var evaluation = e * k * (d + l) * Float * 4 + e * k * k * Float * 2;                // interests, attention; [B, K, K] cosines
        return table + step + evaluation;
    }

    /// <summary>Bytes <c>bench scoring</c> needs at least, about: the random gallery, the managed scorer's packed copy and
    /// libtorch's copy of it; the users' interest vectors; and the Torch scorer's scores of one item chunk (16,384 items)
    /// for every query vector.</summary>
    public static double BenchBytes(int items, int dim, int interests, int users)
    {
        double n = items + 1.0, d = dim, k = interests, u = users;
        return n * d * Float * 3 + u * k * d * Float + u * k * Math.Min(n, 16384) * Float * 2;
    }

    /// <summary>The error when <c>bench scoring</c> would need more than <paramref name="available"/> bytes, else null.</summary>
    public static string? BenchProblem(int items, int dim, int interests, int users, long available)
    {
        var need = BenchBytes(items, dim, interests, users);
        if (need <= available) return null;
        return string.Create(CultureInfo.InvariantCulture,
            $"the benchmark would need about {Format(need)} of memory (--items {items}, --dim {dim}, --interests {interests}, --users {users}), more than the {Format(available)} available; lower them");
    }

    /// <summary>The memory the process may use (the machine's, or its container's limit).</summary>
    public static long AvailableBytes => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>The error when the run would need more than <paramref name="available"/> bytes, else null.</summary>
    public static string? Problem(ModelConfig config, TrainerOptions options, long available)
    {
        var need = TrainingBytes(config, options);
        if (need <= available) return null;
        return string.Create(CultureInfo.InvariantCulture,
            $"training would need about {Format(need)} of memory (N = {config.ItemCount} items, d = {config.Dimension}, K = {config.EffectiveInterests}, L = {config.MaxLength}, batch {options.BatchSize}), more than the {Format(available)} available; lower --interests, --dim or --batch-size");
    }

    private static string Format(double bytes) =>
        bytes >= 1L << 40 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (1L << 40):0.#} TiB")
        : bytes >= 1L << 30 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (1L << 30):0.#} GiB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / (1L << 20):0.#} MiB");
}
