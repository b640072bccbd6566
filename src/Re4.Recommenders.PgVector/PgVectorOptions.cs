namespace Re4.Recommenders.PgVector;

/// <summary>Where the item tables live and how they are queried: the options of <see cref="PgVectorScorers"/>, of
/// <see cref="PgVectorPublisher"/> and of <see cref="PgVectorServingExtensions.UsePgVector"/>. Every property binds from
/// configuration (e.g. a section <c>Re4PgVector</c>).</summary>
public sealed class PgVectorOptions
{
    /// <summary>The default <see cref="EfSearch"/>.</summary>
    public const int DefaultEfSearch = 100;

    /// <summary>The default <see cref="UsersPerStatement"/>.</summary>
    public const int DefaultUsersPerStatement = 256;

    /// <summary>The default <see cref="MaxParallelStatements"/>.</summary>
    public const int DefaultMaxParallelStatements = 4;

    /// <summary>The default <see cref="ConnectionStringEnvironmentVariable"/>.</summary>
    public const string DefaultConnectionStringEnvironmentVariable = "RE4_PG_CONNECTION";

    /// <summary>Npgsql connection strings, one per shard (one for an unsharded gallery). Items are assigned to shards by
    /// a hash of their id, so the order is part of the layout: publish and query with the same list. When empty, the
    /// environment variable <see cref="ConnectionStringEnvironmentVariable"/> is read.</summary>
    public IList<string> ConnectionStrings { get; set; } = new List<string>();

    /// <summary>The environment variable read when <see cref="ConnectionStrings"/> is empty (default
    /// <c>RE4_PG_CONNECTION</c>); its value is one connection string, or several separated by <c>|</c> for shards.</summary>
    public string ConnectionStringEnvironmentVariable { get; set; } = DefaultConnectionStringEnvironmentVariable;

    /// <summary>The name under which versions are published and switched (default <c>default</c>): several models can
    /// share a database, each with its own current version.</summary>
    public string Catalog { get; set; } = "default";

    /// <summary>pgvector's <c>hnsw.ef_search</c> (default 100, 1..1000): the candidate list of each index search. Larger
    /// is slower and closer to exact. Iterative scans (<c>hnsw.iterative_scan = relaxed_order</c>) keep each interest's
    /// list full after the history is excluded, whatever this value.</summary>
    public int EfSearch { get; set; } = DefaultEfSearch;

    /// <summary>Users per SQL statement (default 256): a query of more users is cut into statements of this many.</summary>
    public int UsersPerStatement { get; set; } = DefaultUsersPerStatement;

    /// <summary>Statements of one query run at once per server (default 4), each on its own pooled connection.</summary>
    public int MaxParallelStatements { get; set; } = DefaultMaxParallelStatements;

    /// <summary>The connection strings: <see cref="ConnectionStrings"/>, else the environment variable.</summary>
    /// <exception cref="InvalidOperationException">Neither gives one.</exception>
    public IReadOnlyList<string> ResolveConnectionStrings()
    {
        Validate();
        var given = ConnectionStrings.Where(s => !string.IsNullOrWhiteSpace(s)).ToList();
        if (given.Count > 0) return given;
        var fromEnvironment = Environment.GetEnvironmentVariable(ConnectionStringEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
            return fromEnvironment.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        throw new InvalidOperationException(
            $"No PostgreSQL connection string: set {nameof(PgVectorOptions)}.{nameof(ConnectionStrings)} or the environment variable " +
            $"{ConnectionStringEnvironmentVariable} (several strings separated by '|' for shards).");
    }

    /// <summary>Checks the options; the message names the option at fault.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public void Validate()
    {
        if (ConnectionStrings is null)
            throw new ArgumentException($"{nameof(PgVectorOptions)}.{nameof(ConnectionStrings)} is null; use an empty list for none.", nameof(ConnectionStrings));
        if (string.IsNullOrWhiteSpace(ConnectionStringEnvironmentVariable))
            throw new ArgumentException($"{nameof(PgVectorOptions)}.{nameof(ConnectionStringEnvironmentVariable)} is empty; expected a variable name.", nameof(ConnectionStringEnvironmentVariable));
        if (string.IsNullOrWhiteSpace(Catalog) || Catalog.Length > 200)
            throw new ArgumentException($"{nameof(PgVectorOptions)}.{nameof(Catalog)} is '{Catalog}'; expected a non-empty name of at most 200 characters.", nameof(Catalog));
        if (EfSearch is < 1 or > 1000)
            throw new ArgumentOutOfRangeException(nameof(EfSearch), EfSearch, $"{nameof(PgVectorOptions)}.{nameof(EfSearch)} must be in 1..1000 (pgvector's range); it is {EfSearch}.");
        if (UsersPerStatement < 1)
            throw new ArgumentOutOfRangeException(nameof(UsersPerStatement), UsersPerStatement, $"{nameof(PgVectorOptions)}.{nameof(UsersPerStatement)} must be positive; it is {UsersPerStatement}.");
        if (MaxParallelStatements < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxParallelStatements), MaxParallelStatements, $"{nameof(PgVectorOptions)}.{nameof(MaxParallelStatements)} must be positive; it is {MaxParallelStatements}.");
    }

    /// <summary>A copy, so that later changes to the caller's instance change nothing.</summary>
    internal PgVectorOptions Clone() => new()
    {
        ConnectionStrings = new List<string>(ConnectionStrings),
        ConnectionStringEnvironmentVariable = ConnectionStringEnvironmentVariable,
        Catalog = Catalog,
        EfSearch = EfSearch,
        UsersPerStatement = UsersPerStatement,
        MaxParallelStatements = MaxParallelStatements,
    };
}
