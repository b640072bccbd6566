using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Re4.Recommenders.Hosting;

namespace Re4.Recommenders.PgVector;

/// <summary>Serves a <see cref="IRe4Recommender"/> from PostgreSQL + pgvector: the service's scorer becomes a scorer on
/// the served model's version, which must be published (<c>re4 publish</c> or <see cref="PgVectorPublisher"/>) before
/// the model is loaded or reloaded.</summary>
public static class PgVectorServingExtensions
{
    /// <summary>The configuration section <see cref="AddRe4PgVectorScorer(IServiceCollection, IConfiguration)"/> is
    /// usually given (<c>Re4PgVector</c>).</summary>
    public const string DefaultSection = "Re4PgVector";

    /// <summary>Sets <see cref="Re4RecommenderOptions.ScorerFactory"/> to open a pgvector scorer on each loaded model's
    /// version, with a copy of <paramref name="pgVector"/>.</summary>
    /// <exception cref="ArgumentException">The pgvector options are invalid.</exception>
    public static Re4RecommenderOptions UsePgVector(this Re4RecommenderOptions options, PgVectorOptions pgVector)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(pgVector);
        pgVector.Validate();
        var copy = pgVector.Clone();
        options.ScorerFactory = model => PgVectorScorers.ForModel(copy, model);
        return options;
    }

    /// <summary>Makes every <see cref="Re4RecommenderOptions"/> (unkeyed and keyed) use pgvector with options bound from
    /// <paramref name="configuration"/> (e.g. <c>GetSection("Re4PgVector")</c>: <c>ConnectionStrings</c>,
    /// <c>EfSearch</c>, ...; without connection strings, the environment variable <c>RE4_PG_CONNECTION</c>).</summary>
    public static IServiceCollection AddRe4PgVectorScorer(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var pgVector = new PgVectorOptions();
        configuration.Bind(pgVector, o => o.ErrorOnUnknownConfiguration = true);
        services.ConfigureAll<Re4RecommenderOptions>(o => o.UsePgVector(pgVector));
        return services;
    }
}
