namespace Re4.Recommenders.Tests.PgVector;

/// <summary>The PostgreSQL 17 + pgvector servers of the database tests, from the environment eng/test.sh exports
/// (eng/postgres.sh starts them). Without them a database test fails, naming the script: never skipped.</summary>
internal static class PgTestServers
{
    public const string SingleVariable = "RE4_PG_CONNECTION";
    public const string ShardsVariable = "RE4_PG_SHARD_CONNECTIONS";

    /// <summary>The first server.</summary>
    public static string Single => Get(SingleVariable);

    /// <summary>Two servers, for the sharding tests.</summary>
    public static IReadOnlyList<string> Shards
    {
        get
        {
            var shards = Get(ShardsVariable).Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (shards.Length < 2)
                throw new InvalidOperationException($"{ShardsVariable} names {shards.Length} server(s); the sharding tests need two (eng/postgres.sh start 2).");
            return shards;
        }
    }

    /// <summary>The message of a missing variable (a test checks it names the script).</summary>
    public static string MissingMessage(string variable)
    {
        var failed = Environment.GetEnvironmentVariable("RE4_PG_START_FAILED") == "1"
            ? " eng/postgres.sh failed to start them in this run: its reason is printed above the test output."
            : "";
        return $"{variable} is not set: the database tests need the PostgreSQL 17 + pgvector servers that eng/postgres.sh starts. " +
               "Run the tests with `bash eng/test.sh` (it starts and stops them), or `eval \"$(bash eng/postgres.sh start)\"` before `dotnet test`." + failed;
    }

    private static string Get(string variable)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(value)) throw new InvalidOperationException(MissingMessage(variable));
        return value;
    }
}
