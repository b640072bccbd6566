using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Training;

/// <summary>
/// The item table's gradient from the history gather, added by the trainer after backward instead of by libtorch's
/// embedding backward. The step's history embeddings X enter the graph as a leaf of their own; once backward has left
/// dX <c>[B, L, d]</c> in it, each item's rows of dX are summed in their order in the batch and that sum is added to the
/// item's row of the table's gradient, which by then holds everything else that reached the table (the logits' dE).
/// </summary>
/// <remarks>
/// Why: libtorch's dense embedding backward fills a new <c>[N + 1, d]</c> tensor with zeros, adds the B·L rows one tensor
/// operation each, and autograd then adds that whole tensor to the logits' gradient: three passes over the table and
/// thousands of dispatches, for a few thousand rows. The sums are the same floats in the same order (libtorch adds an
/// item's rows to zero in batch order, then the two gradients; addition commutes exactly), so seeded runs keep their
/// bits; only the sign of a zero sum can differ, which no later arithmetic of Adam can tell apart.
/// </remarks>
internal sealed class HistoryGradientScatter
{
    private readonly int[] _first;   // per table row: the first position of it in the batch, -1 when absent

    /// <param name="tableRows">N + 1, the table's rows (row 0 the padding, which gets no gradient).</param>
    internal HistoryGradientScatter(long tableRows)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tableRows);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tableRows, Array.MaxLength);
        _first = new int[tableRows];
        Array.Fill(_first, -1);
    }

    /// <summary>Whether the scatter can take this step's table and history on their device: CPU float32.</summary>
    internal static bool Supports(Tensor table) =>
        table.device_type == DeviceType.CPU && table.dtype == ScalarType.Float32 && table.dim() == 2 && table.is_contiguous();

    /// <summary>Adds the history's gradient into <paramref name="tableGradient"/>.</summary>
    /// <param name="tableGradient">The table's gradient <c>[N + 1, d]</c>, contiguous CPU float32, updated in place.</param>
    /// <param name="ids">The history's item ids, row-major <c>[B·L]</c>, 0 for padding.</param>
    /// <param name="historyGradient">dX <c>[B, L, d]</c> (any contiguous float32 CPU tensor of B·L·d elements); its rows are
    /// overwritten (the first row of each item becomes that item's sum).</param>
    internal unsafe void Add(Tensor tableGradient, ReadOnlySpan<long> ids, Tensor historyGradient)
    {
        var d = (int)tableGradient.shape[1];
        if (!Supports(tableGradient) || tableGradient.shape[0] != _first.Length)
            throw new ArgumentException($"The table's gradient must be contiguous CPU float32 [{_first.Length}, d]; got {tableGradient.dtype} [{string.Join(", ", tableGradient.shape)}] on {tableGradient.device}.", nameof(tableGradient));
        if (historyGradient.device_type != DeviceType.CPU || historyGradient.dtype != ScalarType.Float32 || !historyGradient.is_contiguous()
            || historyGradient.numel() != (long)ids.Length * d)
            throw new ArgumentException($"The history's gradient must be contiguous CPU float32 with {ids.Length} rows of {d}; got {historyGradient.dtype} [{string.Join(", ", historyGradient.shape)}].", nameof(historyGradient));
        Add(ManagedLogits.Data(tableGradient), d, ids, ManagedLogits.Data(historyGradient));
    }

    /// <summary>The arithmetic of <see cref="Add(Tensor, ReadOnlySpan{long}, Tensor)"/> on raw memory.</summary>
    internal unsafe void Add(float* table, int d, ReadOnlySpan<long> ids, float* rows)
    {
        var first = _first;
        // Checked before anything is written, so a bad id leaves the marks and both gradients as they were.
        for (var i = 0; i < ids.Length; i++)
            if ((ulong)ids[i] >= (ulong)first.Length)
                throw new ArgumentOutOfRangeException(nameof(ids), ids[i], $"History id {ids[i]} at position {i} is outside the table's {first.Length} rows.");

        // Pass 1: each item's later rows onto its first, in batch order: ((g_a + g_b) + g_c), as libtorch sums them.
        for (var i = 0; i < ids.Length; i++)
        {
            var id = ids[i];
            if (id == 0) continue;                          // the padding row: no gradient (padding_idx)
            ref var slot = ref first[id];
            if (slot < 0) slot = i;
            else AddRow(rows + (long)slot * d, rows + (long)i * d, d);
        }

        // Pass 2: each item's sum onto the table's gradient, and the marks reset for the next step.
        for (var i = 0; i < ids.Length; i++)
        {
            var id = ids[i];
            if (id == 0 || first[id] != i) continue;
            AddRow(table + id * d, rows + (long)i * d, d);
            first[id] = -1;
        }
    }

    /// <summary>target[j] += source[j], element by element (the same floats in any vector width).</summary>
    private static unsafe void AddRow(float* target, float* source, int d)
    {
        var j = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; j <= d - Vector512<float>.Count; j += Vector512<float>.Count)
                Vector512.Store(Vector512.Load(target + j) + Vector512.Load(source + j), target + j);
        else if (Vector256.IsHardwareAccelerated)
            for (; j <= d - Vector256<float>.Count; j += Vector256<float>.Count)
                Vector256.Store(Vector256.Load(target + j) + Vector256.Load(source + j), target + j);
        for (; j < d; j++) target[j] += source[j];
    }
}
