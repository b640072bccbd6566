namespace Re4.Cli;

/// <summary><c>re4 bench pgvector --json</c> (docs/cli.md): the gallery, the publish times and one row per scorer,
/// ef_search and users per call.</summary>
internal sealed class PgVectorBenchReport
{
    public required int Items { get; init; }

    public required int Dim { get; init; }

    public required int Interests { get; init; }

    public required int Top { get; init; }

    public required int Shards { get; init; }

    public required string Version { get; init; }

    public required bool AlreadyPublished { get; init; }

    public required double CopySeconds { get; init; }

    public required double IndexBuildSeconds { get; init; }

    public required List<PgVectorBenchRow> Rows { get; init; }
}

/// <summary>One timed configuration: <c>scorer</c> is <c>exact</c> (the managed scorer, in the same process) or
/// <c>pgvector</c>; <c>ef_search</c> is 0 for exact.</summary>
internal sealed class PgVectorBenchRow
{
    public required string Scorer { get; init; }

    public required int EfSearch { get; init; }

    public required int UsersPerCall { get; init; }

    public required int Calls { get; init; }

    public required double UsersPerSecond { get; init; }

    public required double P50Ms { get; init; }

    public required double P99Ms { get; init; }

    public required double RecallAtTop { get; init; }
}
