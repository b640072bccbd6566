using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using Npgsql;
using Pgvector.Npgsql;
using Re4.Recommenders.Scoring;

namespace Re4.Recommenders.PgVector;

/// <summary>The database layout shared by the publisher and the scorers: table names, the version hash, the shard of
/// an item, and the metadata tables.</summary>
internal static class PgVectorLayout
{
    /// <summary>One row per published version on this server; a row exists only once its item table is complete and
    /// indexed (it is inserted in the transaction that may also switch the current version).</summary>
    public const string VersionsTable = "re4_model_versions";

    /// <summary>The current version of each catalog.</summary>
    public const string CurrentTable = "re4_current_version";

    public const string CreateMetadata =
        $"""
         CREATE EXTENSION IF NOT EXISTS vector;
         CREATE TABLE IF NOT EXISTS {VersionsTable} (
             version text PRIMARY KEY,
             table_name text NOT NULL,
             dimension integer NOT NULL,
             item_count integer NOT NULL,
             shard integer NOT NULL,
             shard_count integer NOT NULL,
             row_count integer NOT NULL,
             index_build_ms double precision NOT NULL,
             published_at timestamptz NOT NULL DEFAULT now());
         CREATE TABLE IF NOT EXISTS {CurrentTable} (
             catalog text PRIMARY KEY,
             version text NOT NULL REFERENCES {VersionsTable} (version));
         """;

    /// <summary>The version of an item table: XxHash128 of d, N and the rows 1..N of the embeddings, as 32 hex digits.
    /// Original ids are not part of it, so a serving process that has only the model can find its version.</summary>
    public static string VersionOf(ItemEmbeddingTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var hash = new XxHash128();
        Span<byte> header = stackalloc byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(header, table.Dimension);
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], table.ItemCount);
        hash.Append(header);
        var rows = table.Rows(1, table.ItemCount);
        if (BitConverter.IsLittleEndian)
        {
            hash.Append(MemoryMarshal.AsBytes(rows));
        }
        else
        {
            Span<byte> one = stackalloc byte[4];
            foreach (var f in rows)
            {
                BinaryPrimitives.WriteSingleLittleEndian(one, f);
                hash.Append(one);
            }
        }

        return Convert.ToHexString(hash.GetCurrentHash()).ToLowerInvariant();
    }

    /// <summary>The item table of a version (a version is 32 hex digits, so the name is a safe identifier).</summary>
    public static string TableOf(string version) => $"re4_items_{version[..24]}";

    /// <summary>Whether <paramref name="version"/> has the form of a version (32 lower-case hex digits).</summary>
    public static bool IsVersion(string? version) =>
        version is { Length: 32 } && version.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    /// <summary>The shard (0..shards−1) holding <paramref name="item"/>: a multiplicative hash of the id, so
    /// consecutive ids (often similar items, e.g. by popularity) spread over the shards.</summary>
    public static int ShardOf(int item, int shards) => (int)((uint)item * 2654435761u % (uint)shards);

    /// <summary>A data source that knows the <c>vector</c> type.</summary>
    public static NpgsqlDataSource DataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.UseVector();
        return builder.Build();
    }
}
