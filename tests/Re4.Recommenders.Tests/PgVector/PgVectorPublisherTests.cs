using Npgsql;
using Pgvector.Npgsql;
using Re4.Recommenders.PgVector;
using Re4.Recommenders.Scoring;

namespace Re4.Recommenders.Tests.PgVector;

/// <summary>Publishing against the real servers: the rows written (ids, original ids, vectors), idempotent republish,
/// the atomic switch of the current version while a reader keeps reading, and dropping old versions.</summary>
public sealed class PgVectorPublisherTests
{
    private const int D = 8, K = 2;

    private static PgVectorOptions Options(string connection) => new() { ConnectionStrings = [connection], EfSearch = 100 };

    [Fact]
    public async Task PublishAsync_WritesEveryItemWithItsOriginalIdAndVector()
    {
        await using var database = await PgTestDatabase.CreateAsync(PgTestServers.Single);
        var table = PgVectorTestData.Table(50, D, seed: 21);
        await using var publisher = new PgVectorPublisher(Options(database.ConnectionString));

        var published = await publisher.PublishAsync(table, PgVectorTestData.Ids(50));

        published.Version.Should().Be(PgVectorScorers.VersionOf(table)).And.MatchRegex("^[0-9a-f]{32}$");
        published.RowsPerShard.Should().Equal(50);
        published.AlreadyPublished.Should().BeFalse();
        published.IsCurrent.Should().BeTrue();
        var rows = await RowsAsync(database.ConnectionString, published.TableName);
        rows.Select(r => r.Item).Should().Equal(Enumerable.Range(1, 50));
        foreach (var (item, originalId, vector) in rows)
        {
            originalId.Should().Be((1000 + 7 * item).ToString(System.Globalization.CultureInfo.InvariantCulture));
            vector.Should().Equal(table[item].ToArray(), "item {0}'s vector is stored bit for bit", item);
        }

        (await publisher.GetCurrentVersionAsync()).Should().Be(published.Version);
    }

    [Fact]
    public async Task PublishAsync_CopiesNothing_WhenTheVersionIsAlreadyPublished()
    {
        await using var database = await PgTestDatabase.CreateAsync(PgTestServers.Single);
        var table = PgVectorTestData.Table(60, D, seed: 22);
        await using var publisher = new PgVectorPublisher(Options(database.ConnectionString));
        var first = await publisher.PublishAsync(table, PgVectorTestData.Ids(60));

        var again = await publisher.PublishAsync(table, PgVectorTestData.Ids(60));

        again.AlreadyPublished.Should().BeTrue();
        again.Version.Should().Be(first.Version);
        again.RowsPerShard.Should().Equal(60);
        again.IndexBuildTime.Should().Be(TimeSpan.Zero);
        (await publisher.ListVersionsAsync()).Should().ContainSingle().Which.RowCount.Should().Be(60);
        (await RowsAsync(database.ConnectionString, first.TableName)).Should().HaveCount(60);
    }

    [Fact]
    public async Task PublishAsync_RedoesAHalfWrittenTable()
    {
        await using var database = await PgTestDatabase.CreateAsync(PgTestServers.Single);
        var table = PgVectorTestData.Table(40, D, seed: 23);
        var name = $"re4_items_{PgVectorScorers.VersionOf(table)[..24]}";
        // What a publish killed during its COPY leaves: the table, some rows, no version row.
        await ExecuteAsync(database.ConnectionString, $"CREATE TABLE {name} (item integer PRIMARY KEY, original_id text NOT NULL, embedding vector(8) NOT NULL); " +
                                                      $"INSERT INTO {name} VALUES (1, 'x', '[0,0,0,0,0,0,0,0]')");
        await using var publisher = new PgVectorPublisher(Options(database.ConnectionString));

        var published = await publisher.PublishAsync(table, PgVectorTestData.Ids(40));

        published.AlreadyPublished.Should().BeFalse();
        var rows = await RowsAsync(database.ConnectionString, published.TableName);
        rows.Should().HaveCount(40);
        rows[0].OriginalId.Should().Be("1007");
    }

    [Fact]
    public async Task PublishAsync_SwitchesAtomically_ReadersSeeTheOldOrTheNewVersion()
    {
        await using var database = await PgTestDatabase.CreateAsync(PgTestServers.Single);
        var options = Options(database.ConnectionString);
        var oldTable = PgVectorTestData.Table(200, D, seed: 24);
        // The new version is large enough that its copy and index build take a while.
        var newTable = PgVectorTestData.Table(8_000, D, seed: 25);
        var interests = PgVectorTestData.Interests(4, K, D, seed: 26);
        var query = new CandidateQuery(interests, 4, K);
        await using var publisher = new PgVectorPublisher(options);
        var old = await publisher.PublishAsync(oldTable, PgVectorTestData.Ids(200));

        using var stop = new CancellationTokenSource();
        var reads = new List<(string Version, int[] Items)>();
        var reader = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var scorer = (PgVectorCandidateScorer)(await PgVectorScorers.OpenCurrentAsync(options)).Shards[0];
                var read = (scorer.Version.Version, scorer.Retrieve(query, 10).Items);
                lock (reads) reads.Add(read);
            }
        });
        var published = await publisher.PublishAsync(newTable, PgVectorTestData.Ids(8_000));
        // Until the reader has seen the new version (bounded): a fixed delay is too short on a loaded machine.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline && !reader.IsCompleted)
        {
            lock (reads)
                if (reads.Any(r => r.Version == published.Version)) break;
            await Task.Delay(50);
        }
        await stop.CancelAsync();
        await reader;

        published.IsCurrent.Should().BeTrue();
        using var oldScorer = await PgVectorScorers.OpenAsync(options, old.Version);
        using var newScorer = await PgVectorScorers.OpenAsync(options, published.Version);
        var expected = new Dictionary<string, int[]>
        {
            [old.Version] = oldScorer.Retrieve(query, 10).Items,
            [published.Version] = newScorer.Retrieve(query, 10).Items,
        };
        reads.Should().Contain(r => r.Version == old.Version, "reads ran while the new version was written");
        reads.Should().Contain(r => r.Version == published.Version, "reads ran after the switch");
        foreach (var (version, items) in reads)
            items.Should().Equal(expected[version], "a read of version {0} sees that whole version", version);
        reads.SkipWhile(r => r.Version == old.Version).Should().OnlyContain(r => r.Version == published.Version, "the switch happens once");
    }

    [Fact]
    public async Task DropVersionAsync_DropsAnOldVersion_AndRefusesTheCurrentOne()
    {
        await using var database = await PgTestDatabase.CreateAsync(PgTestServers.Single);
        var options = Options(database.ConnectionString);
        await using var publisher = new PgVectorPublisher(options);
        var first = await publisher.PublishAsync(PgVectorTestData.Table(30, D, seed: 27), PgVectorTestData.Ids(30));
        var second = await publisher.PublishAsync(PgVectorTestData.Table(30, D, seed: 28), PgVectorTestData.Ids(30));

        var dropCurrent = () => publisher.DropVersionAsync(second.Version);
        (await dropCurrent.Should().ThrowAsync<InvalidOperationException>()).WithMessage($"*{second.Version} is the current version of catalog 'default'*");
        await publisher.DropVersionAsync(first.Version);

        (await publisher.ListVersionsAsync()).Select(v => v.Version).Should().Equal(second.Version);
        (await TableExistsAsync(database.ConnectionString, first.TableName)).Should().BeFalse();
        var openDropped = () => PgVectorScorers.OpenAsync(options, first.Version);
        await openDropped.Should().ThrowAsync<InvalidOperationException>();
    }

    [Fact]
    public async Task SwitchCurrentAsync_MovesThePointerBack()
    {
        await using var database = await PgTestDatabase.CreateAsync(PgTestServers.Single);
        var options = Options(database.ConnectionString);
        await using var publisher = new PgVectorPublisher(options);
        var first = await publisher.PublishAsync(PgVectorTestData.Table(30, D, seed: 29), PgVectorTestData.Ids(30));
        await publisher.PublishAsync(PgVectorTestData.Table(30, D, seed: 30), PgVectorTestData.Ids(30));

        await publisher.SwitchCurrentAsync(first.Version);

        (await publisher.GetCurrentVersionAsync()).Should().Be(first.Version);
        using var scorer = (PgVectorCandidateScorer)(await PgVectorScorers.OpenCurrentAsync(options)).Shards[0];
        scorer.Version.Version.Should().Be(first.Version);
    }

    private static async Task<List<(int Item, string OriginalId, float[] Vector)>> RowsAsync(string connectionString, string table)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.UseVector();
        await using var source = builder.Build();
        await using var command = source.CreateCommand($"SELECT item, original_id, embedding FROM {table} ORDER BY item");
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(int, string, float[])>();
        while (await reader.ReadAsync())
            rows.Add((reader.GetInt32(0), reader.GetString(1), reader.GetFieldValue<Pgvector.Vector>(2).ToArray()));
        return rows;
    }

    private static async Task<bool> TableExistsAsync(string connectionString, string table)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT to_regclass('{table}') IS NOT NULL", connection);
        return (bool)(await command.ExecuteScalarAsync())!;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
