namespace Re4.Recommenders.Data;

/// <summary>What <see cref="SyntheticLogWriter"/> wrote.</summary>
/// <param name="Interactions">Lines written, one interaction each.</param>
/// <param name="Users">Users written (each has at least <see cref="SyntheticDataOptions.MinLength"/> interactions).</param>
/// <param name="DistinctItems">Items that occur at least once (at most <see cref="SyntheticDataOptions.Items"/>).</param>
/// <param name="Bytes">Bytes written.</param>
public sealed record SyntheticLogSummary(long Interactions, int Users, int DistinctItems, long Bytes);
