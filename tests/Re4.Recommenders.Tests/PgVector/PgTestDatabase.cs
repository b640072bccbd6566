using Npgsql;

namespace Re4.Recommenders.Tests.PgVector;

/// <summary>A fresh database on a test server (created from template1, which has the vector extension), dropped on
/// dispose, so tests never see each other's versions.</summary>
internal sealed class PgTestDatabase : IAsyncDisposable
{
    private readonly string _server;

    private PgTestDatabase(string server, string name)
    {
        _server = server;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public static async Task<PgTestDatabase> CreateAsync(string server)
    {
        var name = $"re4_test_{Guid.NewGuid():N}";
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return new PgTestDatabase(server, name);
    }

    /// <summary>One database on each of several servers.</summary>
    public static async Task<PgTestDatabase[]> CreateAsync(IReadOnlyList<string> servers) =>
        await Task.WhenAll(servers.Select(CreateAsync));

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_server);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}
