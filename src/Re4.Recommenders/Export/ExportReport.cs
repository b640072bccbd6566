namespace Re4.Recommenders.Export;

/// <summary>What <see cref="EmbeddingExporter.Export"/> wrote.</summary>
/// <param name="Items">Rows of the item table (N).</param>
/// <param name="Dimension">d.</param>
/// <param name="Users">Users whose interests were written (0 without a histories file).</param>
/// <param name="Interests">K, the interest vectors per user.</param>
/// <param name="UnknownItems">Items of the histories the model does not know, skipped (unseen in training or filtered out).</param>
/// <param name="Files">The paths written.</param>
public sealed record ExportReport(int Items, int Dimension, int Users, int Interests, long UnknownItems, IReadOnlyList<string> Files);
