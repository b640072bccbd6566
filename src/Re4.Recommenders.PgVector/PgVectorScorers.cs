using Npgsql;
using Re4.Recommenders.Models;
using Re4.Recommenders.Scoring;

namespace Re4.Recommenders.PgVector;

/// <summary>Opens scorers on published versions: a <see cref="ShardedCandidateScorer"/> over one
/// <see cref="PgVectorCandidateScorer"/> per server (one server is one shard). A scorer is bound to one version, checked
/// on every server when it opens, so the servers never mix versions whatever order their current pointers switch
/// in. Dispose the scorer to close its connection pools.</summary>
public static class PgVectorScorers
{
    /// <summary>The version a model's item table is (or would be) published as: the content hash of the table.</summary>
    public static string VersionOf(MultiInterestModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return PgVectorLayout.VersionOf(MultiInterestRecommender.ItemTable(model));
    }

    /// <summary>The version of an item table.</summary>
    public static string VersionOf(ItemEmbeddingTable items) => PgVectorLayout.VersionOf(items);

    /// <summary>Opens a scorer on the version of <paramref name="model"/>'s item table, which must be published.</summary>
    /// <exception cref="InvalidOperationException">A server is unreachable or lacks the version.</exception>
    public static ICandidateScorer ForModel(PgVectorOptions options, MultiInterestModel model, CancellationToken cancellationToken = default) =>
        OpenAsync(options, VersionOf(model), cancellationToken).GetAwaiter().GetResult();

    /// <summary>Opens a scorer on the catalog's current version (as the first server records it).</summary>
    /// <exception cref="InvalidOperationException">A server is unreachable, or nothing is published.</exception>
    public static async Task<ShardedCandidateScorer> OpenCurrentAsync(PgVectorOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var connections = options.ResolveConnectionStrings();
        await using var source = PgVectorLayout.DataSource(connections[0]);
        string? version;
        try
        {
            await using var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            version = null;
            if (await PgVectorPublisher.MetadataExistsAsync(connection, cancellationToken).ConfigureAwait(false))
            {
                await using var command = new NpgsqlCommand($"SELECT version FROM {PgVectorLayout.CurrentTable} WHERE catalog = $1", connection);
                command.Parameters.Add(new NpgsqlParameter { Value = options.Catalog });
                version = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
            }
        }
        catch (NpgsqlException e)
        {
            throw Unreachable(connections[0], 0, e);
        }

        if (version is null)
            throw new InvalidOperationException($"Catalog '{options.Catalog}' has no current version on {Describe(connections[0])}: publish one first (re4 publish).");
        return await OpenAsync(options, version, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Opens a scorer on <paramref name="version"/>, published on every server of
    /// <paramref name="options"/> with the same server order.</summary>
    /// <exception cref="InvalidOperationException">A server is unreachable, lacks the version, or holds another shard of
    /// it.</exception>
    public static async Task<ShardedCandidateScorer> OpenAsync(PgVectorOptions options, string version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!PgVectorLayout.IsVersion(version))
            throw new ArgumentException($"'{version}' is not a version; expected 32 lower-case hex digits.", nameof(version));
        var copy = options.Clone();
        var connections = copy.ResolveConnectionStrings();
        var scorers = new List<PgVectorCandidateScorer>();
        try
        {
            for (var shard = 0; shard < connections.Count; shard++)
                scorers.Add(await OpenShardAsync(connections[shard], shard, connections.Count, version, copy, cancellationToken).ConfigureAwait(false));
        }
        catch
        {
            foreach (var scorer in scorers) await scorer.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new ShardedCandidateScorer(scorers);
    }

    private static async Task<PgVectorCandidateScorer> OpenShardAsync(
        string connectionString, int shard, int shards, string version, PgVectorOptions options, CancellationToken cancellationToken)
    {
        var source = PgVectorLayout.DataSource(connectionString);
        try
        {
            PgVectorVersionInfo? found;
            try
            {
                await using var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                found = await PgVectorPublisher.MetadataExistsAsync(connection, cancellationToken).ConfigureAwait(false)
                    ? await PgVectorPublisher.FindAsync(connection, version, cancellationToken).ConfigureAwait(false)
                    : null;
            }
            catch (NpgsqlException e)
            {
                throw Unreachable(connectionString, shard, e);
            }

            if (found is null)
            {
                throw new InvalidOperationException(
                    $"Version {version} is not published on {Describe(connectionString)} (shard {shard} of {shards}): publish the model first " +
                    "(re4 publish --checkpoint DIR --connection ...).");
            }

            if (found.Shard != shard || found.ShardCount != shards)
            {
                throw new InvalidOperationException(
                    $"{Describe(connectionString)} holds shard {found.Shard} of {found.ShardCount} of version {version}; it is listed as shard {shard} of {shards}. " +
                    "List the servers in the order they were published with.");
            }

            return new PgVectorCandidateScorer(source, found, options);
        }
        catch
        {
            await source.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Host, port and database of a connection string (never its password).</summary>
    internal static string Describe(string connectionString)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            return $"PostgreSQL at {builder.Host}:{builder.Port}, database {builder.Database ?? builder.Username ?? "(default)"}";
        }
        catch (ArgumentException)
        {
            return "PostgreSQL (unparsable connection string)";
        }
    }

    private static InvalidOperationException Unreachable(string connectionString, int shard, Exception inner) =>
        new($"Cannot query {Describe(connectionString)} (shard {shard}): {inner.Message}", inner);
}
