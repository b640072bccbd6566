using System.Net;
using System.Net.Sockets;
using Npgsql;
using Re4.Recommenders.PgVector;
using Re4.Recommenders.Scoring;

namespace Re4.Recommenders.Tests.PgVector;

/// <summary>Publish and query against the real PostgreSQL 17 + pgvector servers eng/test.sh starts: answers equal the
/// naive exact ranking on galleries small enough for HNSW to be exact at a large ef_search, exclusions in SQL, two
/// shards, and the errors of a missing server or version.</summary>
public sealed class PgVectorCandidateScorerTests
{
    /// <summary>Items of the test galleries: enough for the planner to pick the HNSW index (below a few thousand rows at ef_search = 100 it
    /// scans the table instead, which would leave the index untested), few enough that ef_search = 100 finds the exact
    /// top lists.</summary>
    private const int N = 5000;

    private const int D = 8, K = 3;

    private static PgVectorOptions Options(params string[] connections) =>
        new() { ConnectionStrings = connections.ToList(), EfSearch = 100, UsersPerStatement = 5 };

    [Fact]
    public async Task Retrieve_ReturnsTheExactRanking_OnASmallGallery()
    {
        await using var database = await PgTestDatabase.CreateAsync(PgTestServers.Single);
        var table = PgVectorTestData.Table(N, D, seed: 1);
        var options = Options(database.ConnectionString);
        await using (var publisher = new PgVectorPublisher(options))
            await publisher.PublishAsync(table, PgVectorTestData.Ids(N));

        // 12 users in statements of 5: three statements, the last one short.
        var interests = PgVectorTestData.Interests(12, K, D, seed: 2);
        using var scorer = (PgVectorCandidateScorer)(await PgVectorScorers.OpenAsync(options, PgVectorScorers.VersionOf(table))).Shards[0];
        var result = scorer.Retrieve(new CandidateQuery(interests, 12, K), topN: 10);

        PgVectorTestData.ShouldMatchNaive(result, table, interests, K, 10);
        result.Items.Should().Equal(new ManagedCandidateScorer(table).Retrieve(new CandidateQuery(interests, 12, K), 10).Items);
    }

    [Fact]
    public async Task Retrieve_ExcludesEachUsersHistoryAndKeepsTheListFull()
    {
        await using var database = await PgTestDatabase.CreateAsync(PgTestServers.Single);
        var table = PgVectorTestData.Table(N, D, seed: 3);
        var options = Options(database.ConnectionString);
        options.EfSearch = 10;   // fewer candidates than the history removes: only iterative scans keep the list full
        await using (var publisher = new PgVectorPublisher(options))
            await publisher.PublishAsync(table, PgVectorTestData.Ids(N));
        var interests = PgVectorTestData.Interests(6, K, D, seed: 4);
        // Each history holds the user's exact top 40 (so a filter after a plain ef_search = 10 scan would leave nothing).
        var flat = PgVectorTestData.Flat(table);
        var histories = Re4.Recommenders.Data.HistoryBatch.FromHistories(Enumerable.Range(0, 6)
            .Select(u => Scoring.ManagedCandidateScorerTests.Naive(flat, D, interests, u, K, 40).Select(x => x.Item).ToArray()).ToArray());

        using var scorer = (PgVectorCandidateScorer)(await PgVectorScorers.OpenAsync(options, PgVectorScorers.VersionOf(table))).Shards[0];
        var result = scorer.Retrieve(new CandidateQuery(interests, 6, K, histories), topN: 10);

        for (var u = 0; u < 6; u++)
        {
            result.ItemsOf(u).ToArray().Should().NotContain(0, "user {0}'s list is full", u);
            result.ItemsOf(u).ToArray().Should().NotIntersectWith(histories[u].ToArray(), "user {0}'s history is excluded", u);
        }
    }

    [Fact]
    public async Task Retrieve_LeavesSlotsEmpty_WhenTheExclusionsLeaveFewerItemsThanTopN()
    {
        await using var database = await PgTestDatabase.CreateAsync(PgTestServers.Single);
        var table = PgVectorTestData.Table(30, D, seed: 5);
        var options = Options(database.ConnectionString);
        await using (var publisher = new PgVectorPublisher(options))
            await publisher.PublishAsync(table, PgVectorTestData.Ids(30));
        var interests = PgVectorTestData.Interests(2, K, D, seed: 6);
        var histories = Re4.Recommenders.Data.HistoryBatch.FromHistories([Enumerable.Range(1, 27).ToArray(), [5]]);

        using var scorer = (PgVectorCandidateScorer)(await PgVectorScorers.OpenAsync(options, PgVectorScorers.VersionOf(table))).Shards[0];
        var result = scorer.Retrieve(new CandidateQuery(interests, 2, K, histories), topN: 5);

        result.ItemsOf(0).ToArray().Where(i => i != 0).Should().BeEquivalentTo([28, 29, 30]);
        PgVectorTestData.ShouldMatchNaive(result, table, interests, K, 5, histories);
    }

    [Fact]
    public async Task Retrieve_OverTwoShards_ReturnsTheExactRanking()
    {
        var databases = await PgTestDatabase.CreateAsync(PgTestServers.Shards.Take(2).ToList());
        try
        {
            var table = PgVectorTestData.Table(2 * N, D, seed: 7);
            var options = Options(databases.Select(d => d.ConnectionString).ToArray());
            PgVectorPublication published;
            await using (var publisher = new PgVectorPublisher(options))
                published = await publisher.PublishAsync(table, PgVectorTestData.Ids(2 * N));
            published.RowsPerShard.Should().HaveCount(2);
            published.RowsPerShard.Sum().Should().Be(2 * N);
            published.RowsPerShard.Should().OnlyContain(rows => rows > N / 2, "the id hash spreads the items");
            for (var shard = 0; shard < 2; shard++)
            {
                var stored = await ItemsOf(databases[shard].ConnectionString, published.TableName);
                stored.Should().HaveCount(published.RowsPerShard[shard]);
                stored.Should().OnlyContain(item => PgVectorLayout.ShardOf(item, 2) == shard, "shard {0} holds only its own items", shard);
            }

            var interests = PgVectorTestData.Interests(8, K, D, seed: 8);
            var histories = PgVectorTestData.Histories(8, 20, 2 * N, seed: 9);
            using var scorer = await PgVectorScorers.OpenAsync(options, published.Version);
            scorer.Shards.Should().HaveCount(2);
            var result = scorer.Retrieve(new CandidateQuery(interests, 8, K, histories), topN: 15);

            PgVectorTestData.ShouldMatchNaive(result, table, interests, K, 15, histories);
        }
        finally
        {
            foreach (var database in databases) await database.DisposeAsync();
        }
    }

    [Fact]
    public async Task Retrieve_SearchesTheHnswIndex()
    {
        await using var database = await PgTestDatabase.CreateAsync(PgTestServers.Single);
        var table = PgVectorTestData.Table(N, D, seed: 12);
        var options = Options(database.ConnectionString);
        await using (var publisher = new PgVectorPublisher(options))
            await publisher.PublishAsync(table, PgVectorTestData.Ids(N));
        await using var scorer = (PgVectorCandidateScorer)(await PgVectorScorers.OpenAsync(options, PgVectorScorers.VersionOf(table))).Shards[0];

        var plan = await scorer.ExplainAsync(new CandidateQuery(PgVectorTestData.Interests(4, K, D, 13), 4, K), users: 4, topN: 10);

        plan.Should().MatchRegex(@"Index Scan using \w+ on re4_items_[0-9a-f]+", "each interest is one HNSW index search:\n{0}", plan);
    }

    [Fact]
    public async Task RetrieveAsync_Throws_WhenCancelled()
    {
        await using var database = await PgTestDatabase.CreateAsync(PgTestServers.Single);
        var table = PgVectorTestData.Table(50, D, seed: 10);
        var options = Options(database.ConnectionString);
        await using (var publisher = new PgVectorPublisher(options))
            await publisher.PublishAsync(table, PgVectorTestData.Ids(50));
        await using var scorer = (PgVectorCandidateScorer)(await PgVectorScorers.OpenAsync(options, PgVectorScorers.VersionOf(table))).Shards[0];
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var act = () => scorer.RetrieveAsync(new CandidateQuery(PgVectorTestData.Interests(3, K, D, 11), 3, K), 5, cancelled.Token);

        await act.Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public async Task OpenAsync_ThrowsNamingTheServer_WhenNoServerListens()
    {
        // A port nobody listens on: bind one, then free it.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var options = Options($"Host=127.0.0.1;Port={port};Username=re4;Database=postgres;Timeout=3");

        var act = () => PgVectorScorers.OpenAsync(options, new string('a', 32));

        (await act.Should().ThrowAsync<InvalidOperationException>())
            .WithMessage($"*127.0.0.1:{port}*").WithInnerException<NpgsqlException>();
    }

    [Fact]
    public async Task OpenAsync_ThrowsNamingTheVersion_WhenItIsNotPublished()
    {
        await using var database = await PgTestDatabase.CreateAsync(PgTestServers.Single);
        var version = new string('b', 32);

        var act = () => PgVectorScorers.OpenAsync(Options(database.ConnectionString), version);

        (await act.Should().ThrowAsync<InvalidOperationException>()).WithMessage($"*{version} is not published*re4 publish*");
    }

    private static async Task<List<int>> ItemsOf(string connectionString, string table)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT item FROM {table}", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var items = new List<int>();
        while (await reader.ReadAsync()) items.Add(reader.GetInt32(0));
        return items;
    }
}
