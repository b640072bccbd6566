namespace Re4.Recommenders.PgVector;

/// <summary>A version published on one server, as its <c>re4_model_versions</c> row records it.</summary>
/// <param name="Version">The content hash of the item table.</param>
/// <param name="TableName">Its item table on this server.</param>
/// <param name="Dimension">d.</param>
/// <param name="ItemCount">N, over all shards.</param>
/// <param name="Shard">This server's shard (0-based).</param>
/// <param name="ShardCount">Shards of the version.</param>
/// <param name="RowCount">Rows on this server.</param>
/// <param name="PublishedAt">When the version was published.</param>
public sealed record PgVectorVersionInfo(
    string Version,
    string TableName,
    int Dimension,
    int ItemCount,
    int Shard,
    int ShardCount,
    int RowCount,
    DateTimeOffset PublishedAt);
