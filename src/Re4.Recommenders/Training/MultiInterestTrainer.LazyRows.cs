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
    private Tensor UsedItemRows(TrainingBatch batch, long[]? negatives)
    {
        var ids = new long[batch.Histories.Length + batch.Targets.Length + (negatives?.Length ?? 0)];
        var n = 0;
        foreach (var id in batch.Histories) ids[n++] = id;
        foreach (var id in batch.Targets) ids[n++] = id;
        if (negatives is not null) foreach (var id in negatives) ids[n++] = id;
        Array.Sort(ids);
        var distinct = 0;
        for (var i = 0; i < ids.Length; i++)
        {
            if (i == 0 || ids[i] != ids[distinct - 1]) ids[distinct++] = ids[i];
        }

        return tensor(ids.AsSpan(0, distinct).ToArray(), device: _device);   // [U]
    }
}
