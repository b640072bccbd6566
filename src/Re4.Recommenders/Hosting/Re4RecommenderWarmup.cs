using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Re4.Recommenders.Hosting;

/// <summary>Loads a registered recommender when the host starts, so that the first request does not pay for the load
/// and a wrong checkpoint stops the host at once. Hosted services start before the web server, so a web app accepts no
/// request before its models are loaded.</summary>
internal sealed class Re4RecommenderWarmup : IHostedService
{
    private readonly IServiceProvider _provider;
    private readonly string? _key;

    public Re4RecommenderWarmup(IServiceProvider provider, string? key)
    {
        _provider = provider;
        _key = key;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Resolving the singleton loads the checkpoint (its constructor does).
        _ = _key is null ? _provider.GetRequiredService<Re4RecommenderService>() : _provider.GetRequiredKeyedService<Re4RecommenderService>(_key);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
