using Microsoft.Extensions.Logging;

namespace Re4.Recommenders.PgVector;

/// <summary>The log messages of the publisher.</summary>
internal static partial class PgVectorLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Version {Version} is already published on shard {Shard}: nothing copied")]
    public static partial void AlreadyPublished(ILogger logger, string version, int shard);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Shard {Shard}: copied {Rows} rows into {Table} in {Seconds:F2} s")]
    public static partial void Copied(ILogger logger, int shard, int rows, string table, double seconds);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Shard {Shard}: built the HNSW index of {Table} in {Seconds:F2} s")]
    public static partial void Indexed(ILogger logger, int shard, string table, double seconds);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Catalog {Catalog} now serves version {Version} on shard {Shard}")]
    public static partial void Switched(ILogger logger, string catalog, string version, int shard);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Dropped version {Version} on shard {Shard}")]
    public static partial void Dropped(ILogger logger, string version, int shard);
}
