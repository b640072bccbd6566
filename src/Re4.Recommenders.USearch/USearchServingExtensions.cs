using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Re4.Recommenders.Hosting;
using Re4.Recommenders.Models;

namespace Re4.Recommenders.USearch;

/// <summary>
/// Serves a model through <see cref="USearchCandidateScorer"/>: sets <see cref="Re4RecommenderOptions.ScorerFactory"/>
/// so that each model the service loads (at start and at every reload) gets a USearch graph, read from
/// <c>usearch.index</c> in the model folder when that file belongs to the model's item table, else built and saved
/// there (see <see cref="USearchCandidateScorer.OpenOrBuild"/>).
/// </summary>
public static class USearchServingExtensions
{
    /// <summary>Makes the service built from <paramref name="options"/> retrieve with USearch. The model folder is
    /// found from <see cref="Re4RecommenderOptions.CheckpointPath"/> when a model is loaded, so the path may be set
    /// before or after this call.</summary>
    /// <param name="options">The service options to change.</param>
    /// <param name="scorerOptions">Graph options (defaults when null), validated here.</param>
    /// <param name="logger">Receives "loaded", "built" and "rebuilding because ..." lines.</param>
    /// <returns><paramref name="options"/>.</returns>
    public static Re4RecommenderOptions UseUSearch(this Re4RecommenderOptions options, USearchScorerOptions? scorerOptions = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        scorerOptions ??= new USearchScorerOptions();
        scorerOptions.Validate();
        options.ScorerFactory = model =>
        {
            var directory = ModelCheckpoint.FindModelDirectory(options.CheckpointPath
                ?? throw new InvalidOperationException($"{nameof(Re4RecommenderOptions)}.{nameof(Re4RecommenderOptions.CheckpointPath)} is required to place the USearch index."));
            var table = MultiInterestRecommender.ItemTable(model);
            return USearchCandidateScorer.OpenOrBuild(USearchCandidateScorer.IndexPathFor(directory), table, scorerOptions, logger);
        };
        return options;
    }

    /// <summary>Makes the recommender registered under <paramref name="key"/> (null: the unkeyed one) retrieve with
    /// USearch; its log lines go to the container's logger factory.</summary>
    public static IServiceCollection AddRe4USearch(this IServiceCollection services, string? key = null, USearchScorerOptions? scorerOptions = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        (scorerOptions ?? new USearchScorerOptions()).Validate();
        services.AddOptions<Re4RecommenderOptions>(key ?? Microsoft.Extensions.Options.Options.DefaultName)
            .Configure<IServiceProvider>((options, provider) =>
                options.UseUSearch(scorerOptions, provider.GetService<ILoggerFactory>()?.CreateLogger(typeof(USearchCandidateScorer).FullName!)));
        return services;
    }

    /// <summary>As <see cref="AddRe4USearch(IServiceCollection, string?, USearchScorerOptions?)"/> with the graph
    /// options bound from <paramref name="configuration"/>: a section with any of <c>Connectivity</c>,
    /// <c>ExpansionAdd</c>, <c>ExpansionSearch</c>, <c>Threads</c> (others are errors), or a value <c>true</c> for the
    /// defaults (<c>false</c> registers nothing).</summary>
    /// <exception cref="ArgumentException">The value is neither true nor false, or an option is out of range.</exception>
    public static IServiceCollection AddRe4USearch(this IServiceCollection services, string? key, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var path = configuration is IConfigurationSection s ? s.Path : "USearch";
        if (configuration is IConfigurationSection { Value: { } value })
        {
            if (!bool.TryParse(value, out var enabled))
                throw new ArgumentException($"{path} is '{value}'; expected true, false or a section with Connectivity, ExpansionAdd, ExpansionSearch, Threads.", nameof(configuration));
            return enabled ? services.AddRe4USearch(key, (USearchScorerOptions?)null) : services;
        }

        var options = new USearchScorerOptions();
        configuration.Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        try
        {
            options.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new ArgumentException($"{path}:{e.ParamName}: {e.Message.Split(" (Parameter", 2)[0]}", nameof(configuration), e);
        }

        return services.AddRe4USearch(key, options);
    }
}
