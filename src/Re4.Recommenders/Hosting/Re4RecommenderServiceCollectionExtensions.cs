using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Re4.Recommenders.Hosting;

/// <summary>Registers a <see cref="Re4RecommenderService"/> in a dependency injection container.</summary>
public static class Re4RecommenderServiceCollectionExtensions
{
    /// <summary>Registers a singleton <see cref="Re4RecommenderService"/> serving the checkpoint at
    /// <paramref name="checkpointPath"/> with the default options.</summary>
    public static IServiceCollection AddRe4Recommender(this IServiceCollection services, string checkpointPath) =>
        services.AddRe4Recommender(o => o.CheckpointPath = checkpointPath);

    /// <summary>Registers a singleton <see cref="Re4RecommenderService"/> configured by <paramref name="configure"/>.</summary>
    /// <remarks>The options are validated here, so a missing setting fails at startup; the checkpoint is loaded when the
    /// service is first resolved (resolve it once at startup to load it before the first request). The service is
    /// resolved with the container's <see cref="ILoggerFactory"/> when there is one.</remarks>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public static IServiceCollection AddRe4Recommender(this IServiceCollection services, Action<Re4RecommenderOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new Re4RecommenderOptions();
        configure(options);
        options.Validate();
        services.AddSingleton(provider => new Re4RecommenderService(
            options,
            provider.GetService<ILoggerFactory>()?.CreateLogger<Re4RecommenderService>()));
        return services;
    }
}
