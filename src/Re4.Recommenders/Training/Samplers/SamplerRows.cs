namespace Re4.Recommenders.Training;

/// <summary>Fills the rows of a <see cref="TrainingBatch"/>, for both samplers.</summary>
internal static class SamplerRows
{
    /// <summary>Writes row b: the ≤ L items before position k (oldest first, or most recent first), target seq[k].</summary>
    public static void Fill(TrainingBatch batch, int b, ReadOnlySpan<int> seq, int k, bool reverse)
    {
        var l = batch.MaxLength;
        var start = Math.Max(0, k - l);
        var history = seq[start..k];
        var row = batch.Histories.AsSpan(b * l, l);
        history.CopyTo(row);
        if (reverse) row[..history.Length].Reverse();
        batch.Lengths[b] = history.Length;
        batch.Targets[b] = seq[k];
    }
}
