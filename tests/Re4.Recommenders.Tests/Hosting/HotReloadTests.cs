using Microsoft.Extensions.Diagnostics.HealthChecks;
using Re4.Recommenders.Hosting;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;

namespace Re4.Recommenders.Tests.Hosting;

/// <summary>Hot reload: new requests use the new model, running ones finish on the old one, nothing fails, and a
/// replaced model is freed once its last request ends (counted by the service's live models).</summary>
public sealed class HotReloadTests : IDisposable
{
    private readonly HostingFixture _a = new(seed: 23);
    private readonly HostingFixture _b = new(seed: 29);

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }

    private static long[] Items(List<(long Item, double Score, int Interest)> expected) => expected.Select(e => e.Item).ToArray();

    [Fact]
    public void Reload_AnswersWithTheNewModel()
    {
        long[] history = [9000000001, 42, 7];
        var fromA = Items(_a.Expected(history, 5, excludeHistory: true));
        var fromB = Items(_b.Expected(history, 5, excludeHistory: true));
        fromA.Should().NotEqual(fromB, "the two seeds must give distinguishable models for this test to mean anything");
        using var service = new Re4RecommenderService(_a.RunPath);
        service.Recommend(history, 5).Items.Should().Equal(fromA);

        var info = service.Reload(_b.RunPath);

        info.Version.Should().Be(2);
        service.CheckpointPath.Should().Be(_b.RunPath);
        var result = service.Recommend(history, 5);
        result.Items.Should().Equal(fromB);
        result.ModelVersion.Should().Be(2);
        service.LiveModelCount.Should().Be(1, "nothing uses the first model any more");
    }

    [Fact]
    public async Task Reload_LetsARunningRequestFinishOnTheOldModel_ThenFreesIt()
    {
        long[] history = [501, 77];
        using var service = new Re4RecommenderService(_a.RunPath);
        using var inside = new ManualResetEventSlim();
        using var resume = new ManualResetEventSlim();
        // The predicate runs inside the request, after retrieval: it holds the request open across the reload.
        var request = new RecommendationRequest(history, 3)
        {
            ExcludeWhere = _ =>
            {
                inside.Set();
                resume.Wait(TimeSpan.FromSeconds(30)).Should().BeTrue();
                return false;
            },
        };
        var running = Task.Run(() => service.Recommend(request));
        inside.Wait(TimeSpan.FromSeconds(30)).Should().BeTrue();

        service.Reload(_b.RunPath);
        service.LiveModelCount.Should().Be(2, "the running request still holds the first model");
        service.Recommend(history, 3).Items.Should().Equal(Items(_b.Expected(history, 3, excludeHistory: true)));
        resume.Set();
        var old = await running;

        old.ModelVersion.Should().Be(1);
        old.Items.Should().Equal(Items(_a.Expected(history, 3, excludeHistory: true)));
        service.LiveModelCount.Should().Be(1, "the last request on the first model has ended");
    }

    [Fact]
    public async Task Reload_DropsNoRequest_UnderConcurrentLoad()
    {
        var random = new Random(11);
        var histories = Enumerable.Range(0, 16)
            .Select(_ => Enumerable.Range(0, random.Next(1, 5)).Select(_ => HostingFixture.OriginalIds[random.Next(1, HostingFixture.N + 1)]).ToArray())
            .ToArray();
        // Odd versions serve model A, even ones model B: every answer must be exactly its version's list.
        var expected = new[] { _b, _a }.Select(f => histories.Select(h => Items(f.Expected(h, 4, excludeHistory: true))).ToArray()).ToArray();
        using var service = new Re4RecommenderService(_a.RunPath);
        using var stop = new CancellationTokenSource();
        var answered = 0;
        // Dedicated threads, not pool threads: four CPU-bound loops on a two-core pool at full load would starve the
        // pool work the reload itself needs (the managed scorer packs its table with Parallel.For), and the pool does
        // not add threads while the CPU is saturated. The cap bounds the test whatever happens.
        var workers = Enumerable.Range(0, 4).Select(w => Task.Factory.StartNew(() =>
        {
            for (var i = w; (!stop.IsCancellationRequested || i < w + 40) && i < w + 5000; i++)
            {
                var h = i % histories.Length;
                var result = service.Recommend(histories[h], 4);
                result.Items.Should().Equal(expected[result.ModelVersion % 2][h], "history {0} on version {1}", h, result.ModelVersion);
                Interlocked.Increment(ref answered);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();

        for (var reload = 0; reload < 6; reload++)
        {
            // Each reload lands while the workers are answering: wait for a few answers since the last one.
            var target = Volatile.Read(ref answered) + 8;
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (Volatile.Read(ref answered) < target && DateTime.UtcNow < deadline) Thread.Yield();
            service.Reload(reload % 2 == 0 ? _b.RunPath : _a.RunPath);
        }

        stop.Cancel();
        await Task.WhenAll(workers);

        service.Model.Version.Should().Be(7);
        answered.Should().BeGreaterThanOrEqualTo(160);
        service.LiveModelCount.Should().Be(1);
    }

    [Fact]
    public async Task Reload_KeepsServingTheOldModel_WhenTheNewOneCannotBeLoaded()
    {
        using var service = new Re4RecommenderService(_a.RunPath);
        var missing = Path.Combine(_a.RunPath, "nothing-here");
        service.Invoking(s => s.Reload(missing)).Should().Throw<InvalidDataException>().WithMessage($"*{missing} holds no model*");
        service.Model.Version.Should().Be(1);
        service.CheckpointPath.Should().Be(_a.RunPath);
        service.LastReloadError.Should().Contain("holds no model");
        service.Recommend([42], 2).Items.Should().HaveCount(2);
        service.LiveModelCount.Should().Be(1);

        var health = await new Re4RecommenderHealthCheck(service).CheckHealthAsync(Context());
        health.Status.Should().Be(HealthStatus.Degraded);
        health.Description.Should().Contain("the last reload failed");
    }

    [Fact]
    public void WatchInterval_ReloadsWhenTrainingReplacesTheModelFolder()
    {
        long[] history = [9000000001, 42, 7];
        using var service = new Re4RecommenderService(new Re4RecommenderOptions { CheckpointPath = _a.RunPath, WatchInterval = TimeSpan.FromMilliseconds(50) });
        // What the trainer does when validation improves: an atomic swap of the run folder's model/.
        ModelCheckpoint.Save(Path.Combine(_a.RunPath, MultiInterestTrainer.ModelFolder), _b.Model, HostingFixture.OriginalIds);

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (service.Model.Version < 2 && DateTime.UtcNow < deadline) Thread.Sleep(20);

        service.Model.Version.Should().Be(2);
        service.Recommend(history, 5).Items.Should().Equal(Items(_b.Expected(history, 5, excludeHistory: true)));
        Thread.Sleep(200);
        service.Model.Version.Should().Be(2, "unchanged files are not reloaded again");
    }

    [Fact]
    public async Task HealthCheck_ReportsHealthyWhileServing_AndUnhealthyOnceDisposed()
    {
        var service = new Re4RecommenderService(_a.RunPath);
        var check = new Re4RecommenderHealthCheck(service);
        var healthy = await check.CheckHealthAsync(Context());
        healthy.Status.Should().Be(HealthStatus.Healthy);
        healthy.Data["version"].Should().Be(1);
        healthy.Data["items"].Should().Be(HostingFixture.N);

        service.Dispose();

        (await check.CheckHealthAsync(Context())).Status.Should().Be(HealthStatus.Unhealthy);
        service.LiveModelCount.Should().Be(0, "disposing the service frees its model");
        service.Invoking(s => s.Recommend([42], 2)).Should().Throw<ObjectDisposedException>();
    }

    private static HealthCheckContext Context() =>
        new() { Registration = new HealthCheckRegistration("re4", _ => throw new NotSupportedException(), HealthStatus.Unhealthy, null) };
}
