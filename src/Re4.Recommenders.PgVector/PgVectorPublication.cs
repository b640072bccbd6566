namespace Re4.Recommenders.PgVector;

/// <summary>What <c>PgVectorPublisher.PublishAsync</c> did: the version, its rows on each shard, and the time the
/// copy and the index build took (zero for a version that was already published).</summary>
/// <param name="Version">The content hash of the item table (32 hex digits).</param>
/// <param name="TableName">The item table on every shard.</param>
/// <param name="ItemCount">N.</param>
/// <param name="Dimension">d.</param>
/// <param name="RowsPerShard">Rows of each shard, in the order of the connection strings.</param>
/// <param name="AlreadyPublished">True when every shard already had this version: nothing was copied.</param>
/// <param name="CopyTime">Wall time of the binary COPY (shards in parallel).</param>
/// <param name="IndexBuildTime">Wall time of the HNSW index builds (shards in parallel).</param>
/// <param name="IsCurrent">Whether the version is now the catalog's current version.</param>
public sealed record PgVectorPublication(
    string Version,
    string TableName,
    int ItemCount,
    int Dimension,
    IReadOnlyList<int> RowsPerShard,
    bool AlreadyPublished,
    TimeSpan CopyTime,
    TimeSpan IndexBuildTime,
    bool IsCurrent);
