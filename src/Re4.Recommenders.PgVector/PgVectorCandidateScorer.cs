using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using Re4.Recommenders.Scoring;

namespace Re4.Recommenders.PgVector;

/// <summary>
/// Approximate retrieval from one PostgreSQL server with pgvector: the K interest vectors of many users go to the
/// server in one statement, each runs its own HNSW index search (<c>ORDER BY embedding &lt;#&gt; q LIMIT N</c>) with the
/// user's excluded items filtered in SQL, and the K lists are merged by max in the client. Bound to one published
/// version (see <see cref="PgVectorScorers"/>); for several servers see <see cref="ShardedCandidateScorer"/>.
/// </summary>
/// <remarks>
/// <para>Per interest, the exact top N by that interest's score contains every item of the exact merged top N that the
/// interest wins, so the merge loses nothing beyond what the index misses. <c>hnsw.iterative_scan = relaxed_order</c>
/// (pgvector 0.8) lets an index scan go on past <c>hnsw.ef_search</c> candidates when the exclusions filter some out, so
/// each list stays full.</para>
/// <para>Scores are pgvector's float inner products; ties at the N-th place may resolve differently from the exact
/// scorers, since the index orders by score alone. Thread-safe: each statement takes its own pooled connection.</para>
/// </remarks>
public sealed class PgVectorCandidateScorer : ICandidateScorer, IDisposable, IAsyncDisposable
{
    private readonly NpgsqlDataSource _source;
    private readonly PgVectorOptions _options;
    private readonly string _sql;

    internal PgVectorCandidateScorer(NpgsqlDataSource source, PgVectorVersionInfo version, PgVectorOptions options)
    {
        _source = source;
        Version = version;
        _options = options;
        // Each interest row q runs one index search; the history of its user is excluded in the same statement. The
        // table name comes from the version row (re4_items_ + hex digits), never from a caller.
        _sql = $"""
                WITH q AS (SELECT * FROM unnest($1::integer[], $2::integer[], $3::vector[]) AS q(u, k, v)),
                     ex AS (SELECT e.u, array_agg(e.i) AS items FROM unnest($4::integer[], $5::integer[]) AS e(u, i) GROUP BY e.u)
                SELECT q.u, q.k, c.item, c.score
                FROM q LEFT JOIN ex ON ex.u = q.u
                CROSS JOIN LATERAL (
                    SELECT t.item, -(t.embedding <#> q.v) AS score
                    FROM {version.TableName} t
                    WHERE ex.items IS NULL OR t.item <> ALL (ex.items)
                    ORDER BY t.embedding <#> q.v
                    LIMIT $6) c
                """;
    }

    /// <summary>The version this scorer reads.</summary>
    public PgVectorVersionInfo Version { get; }

    /// <inheritdoc />
    public int ItemCount => Version.ItemCount;

    /// <inheritdoc />
    public int Dimension => Version.Dimension;

    /// <inheritdoc />
    public CandidateResult Retrieve(CandidateQuery query, int topN, CancellationToken cancellationToken = default) =>
        RetrieveAsync(query, topN, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Retrieves the top <paramref name="topN"/> items of each user in <paramref name="query"/>, without blocking
    /// a thread while the server works.</summary>
    public async Task<CandidateResult> RetrieveAsync(CandidateQuery query, int topN, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(topN);
        if (query.Dimension != Dimension)
            throw new ArgumentException($"The query's interests have d = {query.Dimension}; version {Version.Version} has d = {Dimension}.", nameof(query));
        int b = query.UserCount;
        var items = new int[b * topN];
        var scores = new float[b * topN];
        var interests = new int[b * topN];
        var chunks = Enumerable.Range(0, (b + _options.UsersPerStatement - 1) / _options.UsersPerStatement);
        await Parallel.ForEachAsync(
            chunks,
            new ParallelOptions { MaxDegreeOfParallelism = _options.MaxParallelStatements, CancellationToken = cancellationToken },
            async (chunk, token) =>
            {
                var first = chunk * _options.UsersPerStatement;
                var count = Math.Min(_options.UsersPerStatement, b - first);
                await RetrieveUsersAsync(query, first, count, topN, items, scores, interests, token).ConfigureAwait(false);
            }).ConfigureAwait(false);
        return new CandidateResult(b, topN, items, scores, interests);
    }

    /// <summary>Closes the connection pool.</summary>
    public void Dispose() => _source.Dispose();

    /// <summary>Closes the connection pool.</summary>
    public ValueTask DisposeAsync() => _source.DisposeAsync();

    private async Task RetrieveUsersAsync(
        CandidateQuery query, int first, int count, int topN, int[] items, float[] scores, int[] interests, CancellationToken cancellationToken)
    {
        int k = query.InterestCount, d = query.Dimension;
        var users = new int[count * k];
        var interestIds = new int[count * k];
        var vectors = new Pgvector.Vector[count * k];
        var all = query.Interests;
        for (var u = 0; u < count; u++)
        {
            for (var i = 0; i < k; i++)
            {
                var row = u * k + i;
                users[row] = u;
                interestIds[row] = i;
                vectors[row] = new Pgvector.Vector(all.Slice(((first + u) * k + i) * d, d));   // [d]
            }
        }

        var excludedUsers = new List<int>();
        var excludedItems = new List<int>();
        if (query.Exclude is { } exclude)
        {
            for (var u = 0; u < count; u++)
            {
                foreach (var item in exclude[first + u])
                {
                    excludedUsers.Add(u);
                    excludedItems.Add(item);
                }
            }
        }

        await using var connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = CreateBatch(connection, users, interestIds, vectors, excludedUsers.ToArray(), excludedItems.ToArray(), topN, explain: false);
        var merges = new CandidateMerge[count];
        for (var u = 0; u < count; u++) merges[u] = new CandidateMerge();
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);   // past the settings' row
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                merges[reader.GetInt32(0)].Offer(reader.GetInt32(2), (float)reader.GetDouble(3), reader.GetInt32(1));
        }

        for (var u = 0; u < count; u++)
        {
            var at = (first + u) * topN;
            merges[u].Drain(items.AsSpan(at, topN), scores.AsSpan(at, topN), interests.AsSpan(at, topN));
        }
    }

    /// <summary>The server's plan for the first <paramref name="users"/> users of <paramref name="query"/> (tests check
    /// that the index is used).</summary>
    internal async Task<string> ExplainAsync(CandidateQuery query, int users, int topN, CancellationToken cancellationToken = default)
    {
        int k = query.InterestCount, d = query.Dimension;
        var rows = Enumerable.Range(0, users * k).ToArray();
        var vectors = rows.Select(r => new Pgvector.Vector(query.Interests.Slice(r * d, d))).ToArray();
        await using var connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = CreateBatch(connection, rows.Select(r => r / k).ToArray(), rows.Select(r => r % k).ToArray(), vectors, [], [], topN, explain: true);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var plan = new System.Text.StringBuilder();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) plan.AppendLine(reader.GetString(0));
        return plan.ToString();
    }

    /// <summary>One round trip: the settings (local to the batch's implicit transaction) and the query.</summary>
    private NpgsqlBatch CreateBatch(
        NpgsqlConnection connection, int[] users, int[] interestIds, Pgvector.Vector[] vectors, int[] excludedUsers, int[] excludedItems, int topN, bool explain)
    {
        var batch = new NpgsqlBatch(connection);
        var settings = new NpgsqlBatchCommand("SELECT set_config('hnsw.ef_search', $1, true), set_config('hnsw.iterative_scan', 'relaxed_order', true)");
        settings.Parameters.Add(new NpgsqlParameter { Value = _options.EfSearch.ToString(CultureInfo.InvariantCulture) });
        batch.BatchCommands.Add(settings);
        var select = new NpgsqlBatchCommand(explain ? "EXPLAIN " + _sql : _sql);
        select.Parameters.Add(new NpgsqlParameter { Value = users, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        select.Parameters.Add(new NpgsqlParameter { Value = interestIds, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        select.Parameters.Add(new NpgsqlParameter { Value = vectors, DataTypeName = "vector[]" });
        select.Parameters.Add(new NpgsqlParameter { Value = excludedUsers, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        select.Parameters.Add(new NpgsqlParameter { Value = excludedItems, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        select.Parameters.Add(new NpgsqlParameter { Value = topN, NpgsqlDbType = NpgsqlDbType.Integer });
        batch.BatchCommands.Add(select);
        return batch;
    }
}
