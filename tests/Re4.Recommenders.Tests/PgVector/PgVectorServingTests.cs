using System.Net;
using System.Text.Json;
using Re4.Recommenders.Hosting;
using Re4.Recommenders.Models;
using Re4.Recommenders.PgVector;
using Re4.Serving;
using Re4.Recommenders.Tests.Hosting;
using Re4.Recommenders.Training;

namespace Re4.Recommenders.Tests.PgVector;

/// <summary>The serving facade and the serving sample with their retrieval in PostgreSQL + pgvector: a saved model
/// published to two shards answers through <see cref="IRe4Recommender"/> exactly as the naive ranking, and an
/// unpublished model fails to load naming the fix.</summary>
public sealed class PgVectorServingTests : IDisposable
{
    private readonly HostingFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public async Task Recommend_FromTwoShards_ReturnsTheNaiveRankingInOriginalIds()
    {
        var databases = await PgTestDatabase.CreateAsync(PgTestServers.Shards.Take(2).ToList());
        try
        {
            var pg = new PgVectorOptions { ConnectionStrings = databases.Select(d => d.ConnectionString).ToList() };
            await PublishFixtureAsync(pg);

            using var service = new Re4RecommenderService(new Re4RecommenderOptions { CheckpointPath = _fixture.RunPath }.UsePgVector(pg));
            using var exact = new Re4RecommenderService(_fixture.RunPath);
            foreach (long[] history in new[] { new long[] { 9000000001, 42, 7 }, [501], [3, 65, 1000, 77] })
            {
                var result = service.Recommend(history, 4);
                var expected = _fixture.Expected(history, 4, excludeHistory: true);
                result.Items.Should().Equal(expected.Select(e => e.Item));
                result.Interests.Should().Equal(expected.Select(e => e.Interest));
                result.Scores.Select(s => (double)s).Should().Equal(expected.Select(e => e.Score), (a, b) => Math.Abs(a - b) < 1e-5);
                result.Items.Should().Equal(exact.Recommend(history, 4).Items, "the exact scorer gives the same list");
            }
        }
        finally
        {
            foreach (var database in databases) await database.DisposeAsync();
        }
    }

    [Fact]
    public async Task Service_FailsToLoadNamingRe4Publish_WhenTheModelIsNotPublished()
    {
        await using var database = await PgTestDatabase.CreateAsync(PgTestServers.Single);
        var pg = new PgVectorOptions { ConnectionStrings = [database.ConnectionString] };

        var act = () => new Re4RecommenderService(new Re4RecommenderOptions { CheckpointPath = _fixture.RunPath }.UsePgVector(pg));

        act.Should().Throw<InvalidOperationException>().WithMessage("*is not published*re4 publish*");
    }

    [Fact]
    public async Task ServingApp_UsesPgVector_WhenTheConfigurationHasARe4PgVectorSection()
    {
        await using var database = await PgTestDatabase.CreateAsync(PgTestServers.Single);
        var pg = new PgVectorOptions { ConnectionStrings = [database.ConnectionString] };
        await PublishFixtureAsync(pg);
        using var contentRoot = new TempDir();
        contentRoot.File("appsettings.json", $$"""
            { "Serving": { "Port": 0 },
              "Re4": { "Models": { "a": { "CheckpointPath": {{JsonSerializer.Serialize(_fixture.RunPath)}} } } },
              "Re4PgVector": { "ConnectionStrings": [ {{JsonSerializer.Serialize(database.ConnectionString)}} ], "EfSearch": 50 } }
            """);

        await using var app = ServingApp.Build(["--contentRoot", contentRoot.Path]);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
        var response = await http.GetAsync("/recommend?history=9000000001,42,7&top=4");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        json.RootElement.GetProperty("items").EnumerateArray().Select(e => e.GetInt64())
            .Should().Equal(_fixture.Expected([9000000001, 42, 7], 4, excludeHistory: true).Select(e => e.Item));
        // Proof that the database answered: drop the version and the served model can no longer retrieve.
        await using (var publisher = new PgVectorPublisher(pg))
        {
            var version = (await publisher.GetCurrentVersionAsync())!;
            await using var connection = new Npgsql.NpgsqlConnection(database.ConnectionString);
            await connection.OpenAsync();
            await using var drop = new Npgsql.NpgsqlCommand($"DROP TABLE re4_items_{version[..24]}", connection);
            await drop.ExecuteNonQueryAsync();
        }

        var broken = await http.GetAsync("/recommend?history=42&top=4");
        broken.IsSuccessStatusCode.Should().BeFalse("retrieval reads the dropped table");
        await app.StopAsync();
    }

    private async Task PublishFixtureAsync(PgVectorOptions pg)
    {
        using var loaded = ModelCheckpoint.Load(Path.Combine(_fixture.RunPath, MultiInterestTrainer.ModelFolder));
        await using var publisher = new PgVectorPublisher(pg);
        await publisher.PublishAsync(loaded);
    }
}
