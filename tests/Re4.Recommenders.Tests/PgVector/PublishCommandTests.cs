using System.Net;
using System.Net.Sockets;
using Re4.Recommenders.Models;
using Re4.Recommenders.PgVector;
using Re4.Recommenders.Tests.Hosting;
using Re4.Recommenders.Training;
using static Re4.Recommenders.Tests.Cli.CliRunner;

namespace Re4.Recommenders.Tests.PgVector;

/// <summary><c>re4 publish</c> against the real servers: what it prints, idempotence, two shards, connection strings
/// from the environment, and its usage and server errors (exit codes 2 and 1).</summary>
public sealed class PublishCommandTests : IDisposable
{
    private readonly HostingFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public async Task Publish_PrintsVersionRowsAndIndexTime_AndCopiesNothingTheSecondTime()
    {
        var databases = await PgTestDatabase.CreateAsync(PgTestServers.Shards.Take(2).ToList());
        try
        {
            string version;
            using (var loaded = ModelCheckpoint.Load(Path.Combine(_fixture.RunPath, MultiInterestTrainer.ModelFolder)))
                version = PgVectorScorers.VersionOf(loaded.Model);
            string[] args = ["publish", "--checkpoint", _fixture.RunPath, "--connection", databases[0].ConnectionString, "--connection", databases[1].ConnectionString];

            var (code, output, err) = Run(args);

            code.Should().Be(0, err);
            output.Should().Contain($"published version {version}: {HostingFixture.N} items x {HostingFixture.D}").And.Contain("on 2 shard(s)")
                .And.MatchRegex(@"index build \d+\.\d\d s").And.Contain($"current version of catalog 'default': {version}");
            var again = Run(args);
            again.Code.Should().Be(0, again.Err);
            again.Out.Should().Contain($"version {version} is already published").And.Contain("nothing copied");
        }
        finally
        {
            foreach (var database in databases) await database.DisposeAsync();
        }
    }

    [Fact]
    public async Task Publish_ReadsTheConnectionStringFromTheNamedEnvironmentVariable()
    {
        await using var database = await PgTestDatabase.CreateAsync(PgTestServers.Single);
        var variable = $"RE4_PG_TEST_{Guid.NewGuid():N}";
        Environment.SetEnvironmentVariable(variable, database.ConnectionString);
        try
        {
            var (code, output, err) = Run("publish", "--checkpoint", _fixture.RunPath, "--connection-env", variable, "--keep-current");

            code.Should().Be(0, err);
            output.Should().Contain("on 1 shard(s)").And.Contain("keeps its current version");
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public void Publish_IsAUsageError_WithoutAnyConnectionString()
    {
        var variable = $"RE4_PG_TEST_{Guid.NewGuid():N}";

        var (code, _, err) = Run("publish", "--checkpoint", _fixture.RunPath, "--connection-env", variable);

        code.Should().Be(2);
        err.Should().Be($"re4 publish: no connection string: give --connection, or set the environment variable {variable}\n".ReplaceLineEndings());
    }

    [Fact]
    public void Publish_FailsWithExitCode1_WhenNoServerListens()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var (code, _, err) = Run("publish", "--checkpoint", _fixture.RunPath, "--connection", $"Host=127.0.0.1;Port={port};Username=re4;Timeout=3");

        code.Should().Be(1);
        err.Should().StartWith("re4 publish: error: PostgreSQL failed:");
        err.TrimEnd().Split('\n').Should().ContainSingle("errors are one line");
    }

    [Fact]
    public void Help_ListsEveryOption()
    {
        var (code, output, _) = Run("publish", "--help");

        code.Should().Be(0);
        foreach (var option in new[] { "--checkpoint", "--connection", "--connection-env", "--catalog", "--m", "--ef-construction", "--keep-current" })
            output.Split('\n').Should().Contain(l => l.StartsWith("  " + option + " ", StringComparison.Ordinal), option);
    }
}
