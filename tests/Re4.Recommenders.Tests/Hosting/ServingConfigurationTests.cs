using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Re4.Recommenders.Hosting;

namespace Re4.Recommenders.Tests.Hosting;

/// <summary>Registration: options from configuration and from <c>Configure</c>, validation on start naming the key,
/// keyed models side by side, warm-up and the health check registration.</summary>
public sealed class ServingConfigurationTests : IDisposable
{
    private readonly HostingFixture _a = new(seed: 23);
    private readonly HostingFixture _b = new(seed: 29);

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }

    private static IConfiguration Config(params (string Key, string Value)[] entries) =>
        new ConfigurationBuilder().AddInMemoryCollection(entries.Select(e => new KeyValuePair<string, string?>(e.Key, e.Value))).Build();

    [Fact]
    public void AddRe4Recommender_BindsEveryOptionFromASection()
    {
        var config = Config(("Re4:CheckpointPath", _a.RunPath), ("Re4:Device", "cpu"), ("Re4:MaxTop", "7"), ("Re4:ExcludeHistory", "false"),
            ("Re4:UnknownItems", "Skip"), ("Re4:Scorer", "Managed"), ("Re4:WatchInterval", "00:00:05"));
        using var provider = new ServiceCollection().AddRe4Recommender(config.GetSection("Re4")).BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<Re4RecommenderOptions>>().Value;
        options.Device.Should().Be("cpu");
        options.MaxTop.Should().Be(7);
        options.ExcludeHistory.Should().BeFalse();
        options.UnknownItems.Should().Be(UnknownItemPolicy.Skip);
        options.Scorer.Should().Be(ServingScorer.Managed);
        options.WatchInterval.Should().Be(TimeSpan.FromSeconds(5));
        var service = provider.GetRequiredService<IRe4Recommender>();
        service.MaxTop.Should().Be(7);
        service.Model.Device.Should().Be("cpu");
        service.Recommend([42, 99], 3).SkippedItems.Should().Equal(99);
    }

    [Fact]
    public void AddRe4Recommender_AppliesOptionsConfiguredElsewhere()
    {
        var services = new ServiceCollection();
        services.Configure<Re4RecommenderOptions>(Config(("MaxTop", "7"), ("Device", "cpu")));
        services.AddRe4Recommender(_a.RunPath);
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<Re4RecommenderService>().MaxTop.Should().Be(7, "Configure<Re4RecommenderOptions> is not ignored");

        var second = new ServiceCollection();
        second.Configure<Re4RecommenderOptions>(Config(("CheckpointPath", _a.RunPath), ("MaxTop", "5")));
        second.AddRe4Recommender();
        using var secondProvider = second.BuildServiceProvider();
        secondProvider.GetRequiredService<IRe4Recommender>().MaxTop.Should().Be(5);
    }

    [Theory]
    [InlineData("Re4:MaxTop", "0", "Re4:MaxTop must be positive; it is 0.")]
    [InlineData("Re4:Device", "gpu", "Re4:Device is 'gpu'; expected cpu, cuda or cuda:N (N a device index).")]
    [InlineData("Re4:WatchInterval", "-00:00:01", "Re4:WatchInterval must be positive*")]
    public async Task Start_FailsNamingTheConfigurationKey_ForAnInvalidOption(string key, string value, string message)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddRe4Recommender(Config(("Re4:CheckpointPath", _a.RunPath), (key, value)).GetSection("Re4"));
        using var host = builder.Build();
        var e = (await host.Invoking(h => h.StartAsync()).Should().ThrowAsync<OptionsValidationException>()).Which;
        e.Failures.Should().ContainSingle().Which.Should().Match(message);
    }

    [Fact]
    public async Task Start_FailsNamingTheKey_WhenTheCheckpointIsMissing()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddKeyedRe4Recommender("b", Config(("Re4:Models:b:MaxTop", "5")).GetSection("Re4:Models:b"));
        using var host = builder.Build();
        (await host.Invoking(h => h.StartAsync()).Should().ThrowAsync<OptionsValidationException>())
            .Which.Message.Should().StartWith("Re4:Models:b:CheckpointPath is required");
    }

    [Fact]
    public void AddRe4Recommender_RejectsAMisspelledKey()
    {
        using var provider = new ServiceCollection()
            .AddRe4Recommender(Config(("Re4:CheckpointPath", _a.RunPath), ("Re4:MaxTopp", "5")).GetSection("Re4")).BuildServiceProvider();
        provider.Invoking(p => p.GetRequiredService<IRe4Recommender>()).Should().Throw<InvalidOperationException>().WithMessage("*MaxTopp*");
    }

    [Fact]
    public async Task Start_LoadsEveryKeyedModel_AndServesThemSideBySide()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var config = Config(("Re4:Models:a:CheckpointPath", _a.RunPath), ("Re4:Models:b:CheckpointPath", _b.RunPath), ("Re4:Models:b:MaxTop", "3"));
        builder.Services.AddKeyedRe4Recommender("a", config.GetSection("Re4:Models:a"));
        builder.Services.AddKeyedRe4Recommender("b", config.GetSection("Re4:Models:b"));
        builder.Services.AddHealthChecks().Add(Re4RecommenderHealthCheck.Registration("a")).Add(Re4RecommenderHealthCheck.Registration("b"));
        using var host = builder.Build();
        await host.StartAsync();

        var a = host.Services.GetRequiredKeyedService<IRe4Recommender>("a");
        var b = host.Services.GetRequiredKeyedService<IRe4Recommender>("b");
        a.Should().BeSameAs(host.Services.GetRequiredKeyedService<Re4RecommenderService>("a"));
        b.MaxTop.Should().Be(3);
        a.MaxTop.Should().Be(Re4RecommenderOptions.DefaultMaxTop);
        long[] history = [9000000001, 42, 7];
        a.Recommend(history, 3).Items.Should().Equal(_a.Expected(history, 3, excludeHistory: true).Select(e => e.Item));
        b.Recommend(history, 3).Items.Should().Equal(_b.Expected(history, 3, excludeHistory: true).Select(e => e.Item));
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        report.Status.Should().Be(HealthStatus.Healthy);
        report.Entries.Keys.Should().BeEquivalentTo("re4:a", "re4:b");
        await host.StopAsync();
    }

    [Fact]
    public async Task Start_FailsWithTheCheckpointSetting_WhenTheFolderHoldsNoModel()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var missing = Path.Combine(_a.RunPath, "nothing-here");
        builder.Services.AddRe4Recommender(missing);
        using var host = builder.Build();
        (await host.Invoking(h => h.StartAsync()).Should().ThrowAsync<InvalidDataException>())
            .WithMessage($"Re4RecommenderOptions.CheckpointPath: {missing} holds no model*");
    }
}
