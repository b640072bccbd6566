using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Re4.Recommenders.Hosting;

/// <summary>
/// Registers <see cref="Re4RecommenderService"/> in a dependency injection container: as itself and as
/// <see cref="IRe4Recommender"/>, a singleton, unkeyed (<c>AddRe4Recommender</c>) or keyed for several models side by
/// side (<c>AddKeyedRe4Recommender("a", ...)</c>, resolved with <c>[FromKeyedServices("a")]</c> or
/// <c>GetRequiredKeyedService</c>).
/// </summary>
/// <remarks>
/// <para>Options go through the options system: <see cref="Re4RecommenderOptions"/> is a named option (the key, or the
/// default name when unkeyed), so <c>services.Configure&lt;Re4RecommenderOptions&gt;(...)</c> anywhere, a configuration
/// section and the <c>configure</c> delegate all apply, in registration order.</para>
/// <para>The options are validated when the host starts (<c>ValidateOnStart</c>), each error naming the setting (e.g.
/// <c>Re4:CheckpointPath is required</c>); without a host, at the first resolution. A hosted service then loads the
/// checkpoint before the host accepts work, so no request meets a cold model. The service is resolved with the
/// container's <see cref="ILoggerFactory"/> when there is one.</para>
/// </remarks>
public static class Re4RecommenderServiceCollectionExtensions
{
    /// <summary>Registers the recommender with the options configured elsewhere, e.g. by
    /// <c>services.Configure&lt;Re4RecommenderOptions&gt;(configuration.GetSection("Re4"))</c>.</summary>
    public static IServiceCollection AddRe4Recommender(this IServiceCollection services) =>
        Register(services, key: null, prefix: $"{nameof(Re4RecommenderOptions)}.");

    /// <summary>Registers the recommender serving the checkpoint at <paramref name="checkpointPath"/> (a model folder or
    /// a training run's folder) with the default options.</summary>
    public static IServiceCollection AddRe4Recommender(this IServiceCollection services, string checkpointPath) =>
        services.AddRe4Recommender(o => o.CheckpointPath = checkpointPath);

    /// <summary>Registers the recommender configured by <paramref name="configure"/>.</summary>
    public static IServiceCollection AddRe4Recommender(this IServiceCollection services, Action<Re4RecommenderOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.Configure(configure);
        return Register(services, key: null, prefix: $"{nameof(Re4RecommenderOptions)}.");
    }

    /// <summary>Registers the recommender with options bound from <paramref name="configuration"/> (e.g.
    /// <c>builder.Configuration.GetSection("Re4")</c>, whose keys are the option names: <c>CheckpointPath</c>,
    /// <c>Device</c>, <c>MaxTop</c>, ...). A key that is not an option is an error at start, so a typo is not
    /// silently ignored.</summary>
    public static IServiceCollection AddRe4Recommender(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<Re4RecommenderOptions>().Bind(configuration, o => o.ErrorOnUnknownConfiguration = true);
        return Register(services, key: null, prefix: PrefixOf(configuration));
    }

    /// <summary>Registers a recommender under <paramref name="key"/>, with the options configured elsewhere for that name
    /// (<c>services.Configure&lt;Re4RecommenderOptions&gt;(key, ...)</c>).</summary>
    public static IServiceCollection AddKeyedRe4Recommender(this IServiceCollection services, string key) =>
        Register(services, CheckKey(key), prefix: $"{nameof(Re4RecommenderOptions)}['{key}'].");

    /// <summary>Registers a recommender under <paramref name="key"/> serving the checkpoint at
    /// <paramref name="checkpointPath"/> with the default options.</summary>
    public static IServiceCollection AddKeyedRe4Recommender(this IServiceCollection services, string key, string checkpointPath) =>
        services.AddKeyedRe4Recommender(key, o => o.CheckpointPath = checkpointPath);

    /// <summary>Registers a recommender under <paramref name="key"/> configured by <paramref name="configure"/>.</summary>
    public static IServiceCollection AddKeyedRe4Recommender(this IServiceCollection services, string key, Action<Re4RecommenderOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.Configure(CheckKey(key), configure);
        return Register(services, key, prefix: $"{nameof(Re4RecommenderOptions)}['{key}'].");
    }

    /// <summary>Registers a recommender under <paramref name="key"/> with options bound from
    /// <paramref name="configuration"/> (e.g. <c>GetSection("Re4:Models:a")</c>); unknown keys are errors at start.</summary>
    public static IServiceCollection AddKeyedRe4Recommender(this IServiceCollection services, string key, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<Re4RecommenderOptions>(CheckKey(key)).Bind(configuration, o => o.ErrorOnUnknownConfiguration = true);
        return Register(services, key, prefix: PrefixOf(configuration));
    }

    private static string CheckKey(string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        return key;
    }

    private static string PrefixOf(IConfiguration configuration) =>
        configuration is IConfigurationSection section && section.Path.Length > 0 ? $"{section.Path}:" : string.Empty;

    private static IServiceCollection Register(IServiceCollection services, string? key, string prefix)
    {
        ArgumentNullException.ThrowIfNull(services);
        var name = key ?? Options.DefaultName;
        services.AddOptions<Re4RecommenderOptions>(name).ValidateOnStart();
        services.AddSingleton<IValidateOptions<Re4RecommenderOptions>>(new Re4RecommenderOptionsValidator(name, prefix));
        if (key is null)
        {
            services.AddSingleton(provider => Create(provider, name));
            services.AddSingleton<IRe4Recommender>(provider => provider.GetRequiredService<Re4RecommenderService>());
        }
        else
        {
            services.AddKeyedSingleton(key, (provider, _) => Create(provider, name));
            services.AddKeyedSingleton<IRe4Recommender>(key, (provider, k) => provider.GetRequiredKeyedService<Re4RecommenderService>(k));
        }

        services.AddSingleton<IHostedService>(provider => new Re4RecommenderWarmup(provider, key));
        return services;
    }

    private static Re4RecommenderService Create(IServiceProvider provider, string name) =>
        new(provider.GetRequiredService<IOptionsMonitor<Re4RecommenderOptions>>().Get(name),
            provider.GetService<ILoggerFactory>()?.CreateLogger<Re4RecommenderService>());
}
