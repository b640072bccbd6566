namespace Re4.Recommenders.Training;

/// <summary>How Adam updates the item embedding table each step (<see cref="TrainerOptions.ItemUpdates"/>).</summary>
public enum ItemUpdateMode
{
    /// <summary>The default: <see cref="Lazy"/> at catalogue scale, i.e. when the resolved softmax is sampled and the
    /// catalogue has more than <see cref="TrainerOptions.FullSoftmaxItemLimit"/> items; <see cref="Dense"/> otherwise, so
    /// that seeded runs on small catalogues are unchanged. <see cref="TrainerOptions.ResolveItemUpdates"/> says which a
    /// catalogue gets.</summary>
    Auto,

    /// <summary>torch's Adam on the whole table: every row and both of its moments are updated every step, also rows the
    /// batch did not use (their moments decay and their weights keep moving with the first moment). Costs O(N·d) per step.</summary>
    Dense,

    /// <summary>Row-sparse ("lazy") Adam, as TensorFlow Addons' LazyAdam and torch.optim.SparseAdam: only the rows the batch
    /// used (its histories', targets' and negatives' ids) get the moment and weight update; every other row and its moments
    /// stay as they are. The step count of the bias correction is the table's, one per step. Weight decay applies to the
    /// used rows only. With the default objective the step itself runs on those rows, gathered into a table of their own
    /// (the forward reads them, backward writes a gradient of their size), so no part of the step costs O(N·d) unless the
    /// negatives are most of the catalogue; an objective of your own gets the table itself and its whole gradient, and the
    /// optimizer still costs O(rows used · d). Needs a sampled softmax: with a full softmax every row has a gradient, so it
    /// trains <see cref="Dense"/>. An objective of your own that reads item rows other than the batch's must use
    /// <see cref="Dense"/>: those rows' gradients would be ignored.</summary>
    Lazy,
}
