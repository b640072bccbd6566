using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Re4.Recommenders.Hosting;

/// <summary>
/// Readiness of a <see cref="Re4RecommenderService"/> for the standard health checks: healthy while a model answers,
/// degraded when the last reload failed (the previous model still answers), unhealthy once the service is disposed or
/// when its model cannot be loaded. Add it with <c>services.AddHealthChecks().Add(Re4RecommenderHealthCheck.Registration())</c>
/// (<c>Registration("a")</c> for a keyed recommender).
/// </summary>
public sealed class Re4RecommenderHealthCheck : IHealthCheck
{
    private readonly Func<Re4RecommenderService> _service;

    /// <summary>Checks <paramref name="service"/>.</summary>
    public Re4RecommenderHealthCheck(Re4RecommenderService service)
    {
        ArgumentNullException.ThrowIfNull(service);
        _service = () => service;
    }

    private Re4RecommenderHealthCheck(Func<Re4RecommenderService> service) => _service = service;

    /// <summary>A registration for <c>IHealthChecksBuilder.Add</c> that checks the recommender registered under
    /// <paramref name="serviceKey"/> (the unkeyed one when null).</summary>
    /// <param name="serviceKey">The key given to <c>AddKeyedRe4Recommender</c>, or null.</param>
    /// <param name="name">The check's name (default <c>re4</c>, or <c>re4:KEY</c>).</param>
    /// <param name="tags">Tags to filter checks by (e.g. <c>ready</c>).</param>
    public static HealthCheckRegistration Registration(string? serviceKey = null, string? name = null, IEnumerable<string>? tags = null) =>
        new(name ?? (serviceKey is null ? "re4" : $"re4:{serviceKey}"),
            provider => new Re4RecommenderHealthCheck(() => serviceKey is null
                ? provider.GetRequiredService<Re4RecommenderService>()
                : provider.GetRequiredKeyedService<Re4RecommenderService>(serviceKey)),
            failureStatus: HealthStatus.Unhealthy, tags);

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ServedModelInfo model;
        Re4RecommenderService service;
        try
        {
            service = _service();
            model = service.Model;
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidDataException or InvalidOperationException or ArgumentException)
        {
            return Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus, $"No model is served: {e.Message}", e));
        }

        var data = new Dictionary<string, object>
        {
            ["model"] = model.Name,
            ["version"] = model.Version,
            ["items"] = model.ItemCount,
            ["loaded_at"] = model.LoadedAt,
            ["device"] = model.Device,
        };
        var description = $"{model.Name} v{model.Version} from {model.ModelDirectory}";
        return Task.FromResult(service.LastReloadError is { } error
            ? HealthCheckResult.Degraded($"{description}; the last reload failed: {error}", data: data)
            : HealthCheckResult.Healthy(description, data));
    }
}
