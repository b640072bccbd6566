using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;
using Re4.Recommenders.Data;
using Re4.Recommenders.Models;
using Re4.Recommenders.Scoring;

namespace Re4.Recommenders.PgVector;

/// <summary>
/// Publishes a model's item table into PostgreSQL + pgvector: one table per version (item id, original id, vector),
/// filled by binary COPY, indexed with HNSW on inner product (<c>vector_ip_ops</c>), then recorded in
/// <c>re4_model_versions</c> and, in the same transaction, made the catalog's current version. With several connection
/// strings the items are split over the servers by a hash of their id.
/// </summary>
/// <remarks>
/// <para>A version is the content hash of the item table (<see cref="PgVectorScorers.VersionOf(Scoring.ItemEmbeddingTable)"/>): publishing the same
/// table again copies nothing (idempotent), and a publish that died half-way is redone from scratch. Until its version
/// row is committed, no scorer can open a table, so serving never sees a half-written one. A new version is written
/// beside the old; scorers opened on the old keep working until it is dropped.</para>
/// <para>Publishes on one server are serialised by an advisory lock. Thread-safe.</para>
/// </remarks>
public sealed class PgVectorPublisher : IAsyncDisposable, IDisposable
{
    /// <summary>The advisory lock key of publishes on one server ("re4pg" in ASCII).</summary>
    private const long PublishLock = 0x7265_3470_67;

    private readonly PgVectorOptions _options;
    private readonly NpgsqlDataSource[] _shards;
    private readonly ILogger _logger;

    /// <summary>Creates a publisher for the servers of <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    /// <exception cref="InvalidOperationException">No connection string is given.</exception>
    public PgVectorPublisher(PgVectorOptions options, ILogger<PgVectorPublisher>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Clone();
        _shards = _options.ResolveConnectionStrings().Select(PgVectorLayout.DataSource).ToArray();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Servers the items are split over.</summary>
    public int ShardCount => _shards.Length;

    /// <summary>Publishes a loaded checkpoint's item table with its original ids.</summary>
    public Task<PgVectorPublication> PublishAsync(LoadedModel model, PgVectorPublishOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        return PublishAsync(MultiInterestRecommender.ItemTable(model.Model), model.ItemIds, options, cancellationToken);
    }

    /// <summary>Publishes <paramref name="items"/> (row j is item j) with their original ids
    /// (<c>itemIds[j]</c>).</summary>
    /// <exception cref="ArgumentException">The id map does not cover items 1..N.</exception>
    public async Task<PgVectorPublication> PublishAsync(ItemEmbeddingTable items, IdMap itemIds, PgVectorPublishOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(itemIds);
        options ??= new PgVectorPublishOptions();
        options.Validate();
        if (itemIds.Count != items.ItemCount)
            throw new ArgumentException($"The id map has {itemIds.Count} ids; the item table has {items.ItemCount} items.", nameof(itemIds));
        var version = PgVectorLayout.VersionOf(items);
        var table = PgVectorLayout.TableOf(version);

        var written = await Task.WhenAll(_shards.Select((source, shard) =>
            WriteShardAsync(source, shard, items, itemIds, version, table, options, cancellationToken))).ConfigureAwait(false);
        var commit = await Task.WhenAll(_shards.Select((source, shard) =>
            CommitShardAsync(source, shard, written[shard], items, version, table, options, cancellationToken))).ConfigureAwait(false);

        return new PgVectorPublication(
            version, table, items.ItemCount, items.Dimension, written.Select(w => w.Rows).ToArray(),
            AlreadyPublished: written.All(w => w.Existed),
            CopyTime: TimeSpan.FromTicks(written.Max(w => w.Copy.Ticks)),
            IndexBuildTime: TimeSpan.FromTicks(written.Max(w => w.Index.Ticks)),
            IsCurrent: commit.All(c => c));
    }

    /// <summary>The catalog's current version (on the first server), or null when none was published.</summary>
    public async Task<string?> GetCurrentVersionAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await _shards[0].OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (!await MetadataExistsAsync(connection, cancellationToken).ConfigureAwait(false)) return null;
        await using var command = new NpgsqlCommand($"SELECT version FROM {PgVectorLayout.CurrentTable} WHERE catalog = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = _options.Catalog });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }

    /// <summary>The versions published on the first server, newest first.</summary>
    public async Task<IReadOnlyList<PgVectorVersionInfo>> ListVersionsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await _shards[0].OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (!await MetadataExistsAsync(connection, cancellationToken).ConfigureAwait(false)) return [];
        await using var command = new NpgsqlCommand(
            $"SELECT version, table_name, dimension, item_count, shard, shard_count, row_count, published_at FROM {PgVectorLayout.VersionsTable} ORDER BY published_at DESC, version",
            connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var versions = new List<PgVectorVersionInfo>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            versions.Add(new PgVectorVersionInfo(
                reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetInt32(4), reader.GetInt32(5),
                reader.GetInt32(6), reader.GetFieldValue<DateTimeOffset>(7)));
        }

        return versions;
    }

    /// <summary>Makes <paramref name="version"/> the catalog's current version on every server (each server in one
    /// transaction).</summary>
    /// <exception cref="InvalidOperationException">A server does not have the version.</exception>
    public async Task SwitchCurrentAsync(string version, CancellationToken cancellationToken = default)
    {
        CheckVersion(version);
        await Task.WhenAll(_shards.Select(async (source, shard) =>
        {
            await using var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await EnsureMetadataAsync(connection, cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand(
                $"""
                 INSERT INTO {PgVectorLayout.CurrentTable} (catalog, version) SELECT $1, version FROM {PgVectorLayout.VersionsTable} WHERE version = $2
                 ON CONFLICT (catalog) DO UPDATE SET version = EXCLUDED.version
                 """, connection);
            command.Parameters.Add(new NpgsqlParameter { Value = _options.Catalog });
            command.Parameters.Add(new NpgsqlParameter { Value = version });
            if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
                throw new InvalidOperationException($"Version {version} is not published on shard {shard} ({source.ConnectionString}); publish it first.");
            PgVectorLog.Switched(_logger, _options.Catalog, version, shard);
        })).ConfigureAwait(false);
    }

    /// <summary>Drops <paramref name="version"/> (its row and its table) on every server. Scorers still open on it fail
    /// from then on.</summary>
    /// <exception cref="InvalidOperationException">The version is some catalog's current version.</exception>
    public async Task DropVersionAsync(string version, CancellationToken cancellationToken = default)
    {
        CheckVersion(version);
        await Task.WhenAll(_shards.Select(async (source, shard) =>
        {
            await using var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await EnsureMetadataAsync(connection, cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (var check = new NpgsqlCommand($"SELECT catalog FROM {PgVectorLayout.CurrentTable} WHERE version = $1 FOR UPDATE", connection, transaction))
            {
                check.Parameters.Add(new NpgsqlParameter { Value = version });
                if (await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string catalog)
                    throw new InvalidOperationException($"Version {version} is the current version of catalog '{catalog}' on shard {shard}: switch to another version before dropping it.");
            }

            await using (var delete = new NpgsqlCommand($"DELETE FROM {PgVectorLayout.VersionsTable} WHERE version = $1", connection, transaction))
            {
                delete.Parameters.Add(new NpgsqlParameter { Value = version });
                await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await using (var drop = new NpgsqlCommand($"DROP TABLE IF EXISTS {PgVectorLayout.TableOf(version)}", connection, transaction))
                await drop.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            PgVectorLog.Dropped(_logger, version, shard);
        })).ConfigureAwait(false);
    }

    /// <summary>Closes the connection pools.</summary>
    public void Dispose()
    {
        foreach (var source in _shards) source.Dispose();
    }

    /// <summary>Closes the connection pools.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var source in _shards) await source.DisposeAsync().ConfigureAwait(false);
    }

    private readonly record struct ShardWrite(int Rows, bool Existed, TimeSpan Copy, TimeSpan Index);

    private async Task<ShardWrite> WriteShardAsync(
        NpgsqlDataSource source, int shard, ItemEmbeddingTable items, IdMap itemIds, string version, string table,
        PgVectorPublishOptions options, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await LockAsync(connection, cancellationToken).ConfigureAwait(false);
        try
        {
            await EnsureMetadataAsync(connection, cancellationToken).ConfigureAwait(false);
            var existing = await FindAsync(connection, version, cancellationToken).ConfigureAwait(false);
            if (existing is { } found)
            {
                if (found.Shard != shard || found.ShardCount != _shards.Length || found.Dimension != items.Dimension || found.ItemCount != items.ItemCount)
                {
                    throw new InvalidOperationException(
                        $"Version {version} is already published on {source.ConnectionString} as shard {found.Shard} of {found.ShardCount} (d = {found.Dimension}, " +
                        $"N = {found.ItemCount}); this publish would make it shard {shard} of {_shards.Length}. Drop the version or list the servers in the same order.");
                }

                PgVectorLog.AlreadyPublished(_logger, version, shard);
                return new ShardWrite(found.RowCount, true, TimeSpan.Zero, TimeSpan.Zero);
            }

            // A table without a version row is what a publish that died half-way left: start again.
            var copyWatch = Stopwatch.StartNew();
            await ExecuteAsync(connection,
                $"DROP TABLE IF EXISTS {table}; CREATE TABLE {table} (item integer PRIMARY KEY, original_id text NOT NULL, embedding vector({items.Dimension}) NOT NULL)",
                cancellationToken).ConfigureAwait(false);
            var rows = 0;
            await using (var writer = await connection.BeginBinaryImportAsync($"COPY {table} (item, original_id, embedding) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false))
            {
                for (var item = 1; item <= items.ItemCount; item++)
                {
                    if (_shards.Length > 1 && PgVectorLayout.ShardOf(item, _shards.Length) != shard) continue;
                    await writer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                    await writer.WriteAsync(item, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                    await writer.WriteAsync(itemIds[item], NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                    await writer.WriteAsync(new Pgvector.Vector(items[item].ToArray()), cancellationToken).ConfigureAwait(false);
                    rows++;
                }

                await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
            }

            var copy = copyWatch.Elapsed;
            PgVectorLog.Copied(_logger, shard, rows, table, copy.TotalSeconds);

            var indexWatch = Stopwatch.StartNew();
            var memory = options.MaintenanceWorkMemoryMiB.ToString(CultureInfo.InvariantCulture);
            await ExecuteAsync(connection,
                $"SET maintenance_work_mem = '{memory}MB'; " +
                $"CREATE INDEX ON {table} USING hnsw (embedding vector_ip_ops) WITH (m = {options.M.ToString(CultureInfo.InvariantCulture)}, ef_construction = {options.EfConstruction.ToString(CultureInfo.InvariantCulture)}); " +
                $"ANALYZE {table}; RESET maintenance_work_mem",
                cancellationToken).ConfigureAwait(false);
            var index = indexWatch.Elapsed;
            PgVectorLog.Indexed(_logger, shard, table, index.TotalSeconds);
            return new ShardWrite(rows, false, copy, index);
        }
        finally
        {
            await UnlockAsync(connection).ConfigureAwait(false);
        }
    }

    private async Task<bool> CommitShardAsync(
        NpgsqlDataSource source, int shard, ShardWrite written, ItemEmbeddingTable items, string version, string table,
        PgVectorPublishOptions options, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // The version row and the current pointer change together: a reader sees the old version or the new one.
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (!written.Existed)
        {
            await using var insert = new NpgsqlCommand(
                $"""
                 INSERT INTO {PgVectorLayout.VersionsTable} (version, table_name, dimension, item_count, shard, shard_count, row_count, index_build_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (version) DO NOTHING
                 """, connection, transaction);
            foreach (var value in new object[] { version, table, items.Dimension, items.ItemCount, shard, _shards.Length, written.Rows, written.Index.TotalMilliseconds })
                insert.Parameters.Add(new NpgsqlParameter { Value = value });
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        if (options.MakeCurrent)
        {
            await using var current = new NpgsqlCommand(
                $"INSERT INTO {PgVectorLayout.CurrentTable} (catalog, version) VALUES ($1, $2) ON CONFLICT (catalog) DO UPDATE SET version = EXCLUDED.version",
                connection, transaction);
            current.Parameters.Add(new NpgsqlParameter { Value = _options.Catalog });
            current.Parameters.Add(new NpgsqlParameter { Value = version });
            await current.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        if (options.MakeCurrent) PgVectorLog.Switched(_logger, _options.Catalog, version, shard);
        return options.MakeCurrent;
    }

    /// <summary>The row of <paramref name="version"/> on this server, if published.</summary>
    internal static async Task<PgVectorVersionInfo?> FindAsync(NpgsqlConnection connection, string version, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT version, table_name, dimension, item_count, shard, shard_count, row_count, published_at FROM {PgVectorLayout.VersionsTable} WHERE version = $1",
            connection);
        command.Parameters.Add(new NpgsqlParameter { Value = version });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return null;
        return new PgVectorVersionInfo(
            reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetInt32(4), reader.GetInt32(5),
            reader.GetInt32(6), reader.GetFieldValue<DateTimeOffset>(7));
    }

    /// <summary>Whether the metadata tables exist (a read-only check: readers never create them).</summary>
    internal static async Task<bool> MetadataExistsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT to_regclass('{PgVectorLayout.CurrentTable}') IS NOT NULL", connection);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static Task EnsureMetadataAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, PgVectorLayout.CreateMetadata, cancellationToken);

    private static async Task LockAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT pg_advisory_lock({PublishLock})", connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task UnlockAsync(NpgsqlConnection connection)
    {
        if (connection.FullState != System.Data.ConnectionState.Open) return;
        await using var command = new NpgsqlCommand($"SELECT pg_advisory_unlock({PublishLock})", connection);
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.CommandTimeout = 0;   // index builds of millions of rows take minutes
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void CheckVersion(string version)
    {
        if (!PgVectorLayout.IsVersion(version))
            throw new ArgumentException($"'{version}' is not a version; expected 32 lower-case hex digits (see {nameof(ListVersionsAsync)}).", nameof(version));
    }
}
