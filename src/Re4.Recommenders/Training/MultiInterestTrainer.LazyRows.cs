using static TorchSharp.torch;

namespace Re4.Recommenders.Training;

public sealed partial class MultiInterestTrainer
{
    /// <summary>The name of the item table among the model's parameters (its field is <c>items</c>).</summary>
    private const string ItemTableParameter = "items.weight";

    /// <summary>The index of the item table among the model's parameters, which come first in the optimizer's list.</summary>
    private static int ItemTableIndex(Models.MultiInterestModel model)
    {
        var index = 0;
        foreach (var (name, _) in model.named_parameters())
        {
            if (name == ItemTableParameter) return index;
            index++;
        }

        throw new InvalidOperationException($"The model has no parameter '{ItemTableParameter}' to update row-sparse.");
    }

    /// <summary>The item rows a step used, for the row-sparse update: the distinct ids of the batch's histories (0, the
    /// padding row, included: its gradient is zero), targets and negatives, ascending, as an int64 tensor <c>[U]</c> on the
    /// model's device.</summary>
    private Tensor UsedItemRows(long[] histories, long[] targets, long[]? negatives) =>
        tensor(DistinctIds(histories, targets, negatives, keepPadding: true), device: _device);   // [U]

    /// <summary>The distinct ids of the three arrays, ascending; 0 (the padding) only with <paramref name="keepPadding"/>.</summary>
    private static long[] DistinctIds(long[] histories, long[] targets, long[]? negatives, bool keepPadding)
    {
        var all = new long[histories.Length + targets.Length + (negatives?.Length ?? 0)];
        histories.CopyTo(all, 0);
        targets.CopyTo(all, histories.Length);
        negatives?.CopyTo(all, histories.Length + targets.Length);
        Array.Sort(all);
        var count = 0;
        foreach (var id in all)
        {
            if ((id != 0 || keepPadding) && (count == 0 || all[count - 1] != id)) all[count++] = id;
        }

        return all.AsSpan(0, count).ToArray();
    }

    /// <summary>A lazy step's item rows: the distinct item ids a batch uses gathered from the table into a leaf of their own,
    /// so that backward writes a <c>[U, d]</c> gradient instead of the table's <c>[N + 1, d]</c> one (which costs O(N·d)
    /// per step whatever the batch: at 1.7 M items, 435 MB zeroed and summed). The values are the table's rows and every
    /// row's gradient is summed over the same uses in the same order, so the update is the table path's.</summary>
    /// <param name="Ids">The rows, ascending table ids (never 0), <c>[U]</c> int64.</param>
    /// <param name="Leaf">Their embeddings, detached from the table, requiring a gradient, <c>[U, d]</c>.</param>
    /// <param name="Table">The table the renumbered ids index: the table's row 0 (the padding, no gradient), then
    /// <paramref name="Leaf"/>, <c>[U + 1, d]</c>.</param>
    private sealed record StepItemRows(Tensor Ids, Tensor Leaf, Tensor Table)
    {
        /// <summary>Gathers the rows of <paramref name="histories"/>, <paramref name="targets"/> and
        /// <paramref name="negatives"/> and renumbers those arrays in place into the gathered table (row r of the table
        /// becomes 1 + its position among the rows; 0, the padding, stays 0). The tensors belong to the caller's scope.</summary>
        public static StepItemRows Gather(Tensor itemTable, long[] histories, long[] targets, long[]? negatives, Device device)
        {
            var rows = DistinctIds(histories, targets, negatives, keepPadding: false);
            Renumber(histories, rows);
            Renumber(targets, rows);
            if (negatives is not null) Renumber(negatives, rows);
            var ids = tensor(rows, device: device);                                                       // [U]
            Tensor leaf, padding;
            using (no_grad())
            {
                leaf = itemTable.index_select(0, ids);                                                    // [U, d]
                // The table's own row 0, without a gradient: what nn.Embedding's padding_idx gives, zeros or not.
                padding = itemTable.narrow(0, 0, 1).clone();                                              // [1, d]
            }

            leaf.requires_grad_(true);
            var table = cat([padding, leaf], 0);                                                          // [U + 1, d]
            return new StepItemRows(ids, leaf, table);
        }

        private static void Renumber(long[] ids, long[] rows)
        {
            for (var i = 0; i < ids.Length; i++)
            {
                if (ids[i] != 0) ids[i] = Array.BinarySearch(rows, ids[i]) + 1;
            }
        }
    }
}
