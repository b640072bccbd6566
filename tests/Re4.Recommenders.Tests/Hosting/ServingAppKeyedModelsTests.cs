using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Re4.Recommenders.Data;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;
using Re4.Serving;

namespace Re4.Recommenders.Tests.Hosting;

/// <summary>The Re4.Serving sample configured only by an appsettings.json with two keyed models, hot-reloading one of
/// them under concurrent HTTP load without a failed request (bounded request counts, loopback only).</summary>
public sealed class ServingAppKeyedModelsTests : IDisposable
{
    private readonly HostingFixture _a = new(seed: 23);
    private readonly HostingFixture _b = new(seed: 29);
    private readonly TempDir _root = new();

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
        _root.Dispose();
    }

    private static long[] Items(List<(long Item, double Score, int Interest)> expected) => expected.Select(e => e.Item).ToArray();

    private static long[] Items(JsonElement body) => body.GetProperty("items").EnumerateArray().Select(e => e.GetInt64()).ToArray();

    private static string[] Keys(List<(long Item, double Score, int Interest)> expected) => expected.Select(e => TextIdServingTests.Key(e.Item)).ToArray();

    private static string[] Keys(JsonElement body) => body.GetProperty("items").EnumerateArray().Select(e => e.GetString()!).ToArray();

    private static IdMap TextIds => IdMap.FromStrings(HostingFixture.OriginalIds.Skip(1).Select(TextIdServingTests.Key), firstIndex: 1);

    [Fact]
    public async Task KeyedModels_AreServedAndOneReloadsUnderLoad_WithoutAFailedRequest()
    {
        // Model "a" is served from a run folder of its own, whose model/ the test replaces as training would.
        var runA = Path.Combine(_root.Path, "run-a");
        ModelCheckpoint.Save(Path.Combine(runA, MultiInterestTrainer.ModelFolder), _a.Model, HostingFixture.OriginalIds);
        _root.File("appsettings.json", $$"""
            {
              "Serving": { "Port": 0 },
              "Re4": {
                "Models": {
                  "a": { "CheckpointPath": {{JsonSerializer.Serialize(runA)}}, "Device": "cpu", "UnknownItems": "Skip" },
                  "b": { "CheckpointPath": {{JsonSerializer.Serialize(_b.RunPath)}}, "MaxTop": 3 }
                }
              }
            }
            """);
        await using var app = ServingApp.Build(["--contentRoot", _root.Path]);
        await app.StartAsync();
        var address = new Uri(app.Urls.Single());
        address.Host.Should().Be("127.0.0.1");
        using var http = new HttpClient { BaseAddress = address };

        (await http.GetAsync("/health")).StatusCode.Should().Be(HttpStatusCode.OK, "both models were loaded at start");
        var models = await http.GetFromJsonAsync<JsonElement>("/models");
        models.EnumerateArray().Select(m => m.GetProperty("name").GetString()).Should().Equal("a", "b");

        long[] history = [9000000001, 42, 7];
        var fromA = Items(_a.Expected(history, 3, excludeHistory: true));
        var fromB = Items(_b.Expected(history, 3, excludeHistory: true));
        fromA.Should().NotEqual(fromB);
        Items(await http.GetFromJsonAsync<JsonElement>("/models/a/recommend?history=9000000001,42,7&top=3")).Should().Equal(fromA);
        Items(await http.GetFromJsonAsync<JsonElement>("/models/b/recommend?history=9000000001,42,7&top=3")).Should().Equal(fromB);
        var skipped = await http.GetFromJsonAsync<JsonElement>("/models/a/recommend?history=9000000001,42,7,31337&top=3");
        skipped.GetProperty("skipped").EnumerateArray().Select(e => e.GetInt64()).Should().Equal(31337);
        (await http.GetAsync("/models/b/recommend?history=42,31337")).StatusCode.Should().Be(HttpStatusCode.BadRequest, "b rejects unknown items");
        (await http.GetAsync("/models/c/recommend?history=42")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        var batch = await (await http.PostAsJsonAsync("/models/b/recommend", new[] { new BatchItem(history.Select(h => h.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(), 3, null), new BatchItem([], 2, null) }))
            .Content.ReadFromJsonAsync<JsonElement>();
        Items(batch[0]).Should().Equal(fromB);
        batch[1].GetProperty("fallback").GetBoolean().Should().BeTrue();

        // Load: four clients query "a" while it is reloaded four times; odd versions are model A, even ones model B (the
        // files of a are swapped before each reload).
        await ReloadUnderLoad(http, "a", "/models/a/recommend?history=9000000001,42,7&top=3", Items, fromA, fromB,
            reload => ModelCheckpoint.Save(Path.Combine(runA, MultiInterestTrainer.ModelFolder), reload % 2 == 0 ? _b.Model : _a.Model, HostingFixture.OriginalIds));
        Items(await http.GetFromJsonAsync<JsonElement>("/models/b/recommend?history=9000000001,42,7&top=3")).Should().Equal(fromB, "b was never reloaded");
        (await http.GetAsync("/health")).StatusCode.Should().Be(HttpStatusCode.OK);
        await app.StopAsync();
    }

    [Fact]
    public async Task TextIdModel_IsServedBesideANumericOne_AndReloadsUnderLoad_WithoutAFailedRequest()
    {
        // "skus" holds the fixture models saved with text ids (SKU-0042, ...): the test swaps its files before each reload.
        var runSkus = Path.Combine(_root.Path, "run-skus");
        ModelCheckpoint.Save(Path.Combine(runSkus, MultiInterestTrainer.ModelFolder), _a.Model, TextIds);
        _root.File("appsettings.json", $$"""
            {
              "Serving": { "Port": 0 },
              "Re4": {
                "Models": {
                  "skus": { "CheckpointPath": {{JsonSerializer.Serialize(runSkus)}}, "UnknownItems": "Skip" },
                  "b": { "CheckpointPath": {{JsonSerializer.Serialize(_b.RunPath)}}, "MaxTop": 3 }
                }
              }
            }
            """);
        await using var app = ServingApp.Build(["--contentRoot", _root.Path]);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };

        const string query = "/models/skus/recommend?history=SKU-9000000001,SKU-0042,SKU-0007&top=3";
        var fromA = Keys(_a.Expected([9000000001, 42, 7], 3, excludeHistory: true));
        var fromB = Keys(_b.Expected([9000000001, 42, 7], 3, excludeHistory: true));
        fromA.Should().NotEqual(fromB);
        Keys(await http.GetFromJsonAsync<JsonElement>(query)).Should().Equal(fromA);
        var skipped = await http.GetFromJsonAsync<JsonElement>("/models/skus/recommend?history=SKU-9000000001,SKU-0042,SKU-0007,B00NOPE&top=3");
        skipped.GetProperty("skipped").EnumerateArray().Select(e => e.GetString()).Should().Equal("B00NOPE");
        var excluded = await http.GetFromJsonAsync<JsonElement>("/models/skus/recommend?history=SKU-0501&top=4&exclude=SKU-0077,SKU-1000");
        Keys(excluded).Should().Equal(Keys(_a.Expected([501], 4, excludeHistory: true, id => id is 77 or 1000)));
        var batch = await (await http.PostAsync("/models/skus/recommend", new StringContent(
                """[{"history": ["SKU-9000000001", "SKU-0042", "SKU-0007"], "top": 3}, {"history": [], "top": 2, "exclude": ["SKU-0501"]}]""",
                System.Text.Encoding.UTF8, "application/json")))
            .Content.ReadFromJsonAsync<JsonElement>();
        Keys(batch[0]).Should().Equal(fromA);
        Keys(batch[1]).Should().Equal("SKU-0077", "SKU-9000000001");

        // The numeric model beside it still takes and returns JSON numbers, in a GET and in a batch of numbers.
        Items(await http.GetFromJsonAsync<JsonElement>("/models/b/recommend?history=9000000001,42,7&top=3"))
            .Should().Equal(Items(_b.Expected([9000000001, 42, 7], 3, excludeHistory: true)));
        var numbers = await (await http.PostAsync("/models/b/recommend", new StringContent(
                """[{"history": [9000000001, 42, 7], "top": 3}]""", System.Text.Encoding.UTF8, "application/json")))
            .Content.ReadFromJsonAsync<JsonElement>();
        Items(numbers[0]).Should().Equal(Items(_b.Expected([9000000001, 42, 7], 3, excludeHistory: true)));
        var bad = await http.GetAsync("/models/b/recommend?history=SKU-0042");
        bad.StatusCode.Should().Be(HttpStatusCode.BadRequest, "b's ids are numbers");

        // Load on the text-id model while it is reloaded four times: odd versions are model A, even ones model B.
        await ReloadUnderLoad(http, "skus", query, Keys, fromA, fromB,
            reload => ModelCheckpoint.Save(Path.Combine(runSkus, MultiInterestTrainer.ModelFolder), reload % 2 == 0 ? _b.Model : _a.Model, TextIds));
        (await http.GetAsync("/health")).StatusCode.Should().Be(HttpStatusCode.OK);
        await app.StopAsync();
    }

    /// <summary>Four clients query <paramref name="query"/> (at least 25 requests each, at most 2,000) while
    /// <paramref name="model"/> is reloaded four times, <paramref name="swap"/> replacing its files before each reload:
    /// every answer is OK and comes from model A (odd versions) or model B (even ones), and each reload reports its version.</summary>
    private static async Task ReloadUnderLoad<T>(HttpClient http, string model, string query, Func<JsonElement, T[]> read, T[] fromA, T[] fromB, Action<int> swap)
    {
        using var stop = new CancellationTokenSource();
        var answered = 0;
        var clients = Enumerable.Range(0, 4).Select(c => Task.Run(async () =>
        {
            for (var i = 0; (!stop.IsCancellationRequested || i < 25) && i < 2000; i++)
            {
                var response = await http.GetAsync(query);
                response.StatusCode.Should().Be(HttpStatusCode.OK, "no request fails during a reload");
                var body = await response.Content.ReadFromJsonAsync<JsonElement>();
                read(body).Should().Equal(body.GetProperty("version").GetInt32() % 2 == 1 ? fromA : fromB);
                Interlocked.Increment(ref answered);
            }
        })).ToArray();

        for (var reload = 0; reload < 4; reload++)
        {
            var target = Volatile.Read(ref answered) + 6;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (Volatile.Read(ref answered) < target && DateTime.UtcNow < deadline) await Task.Delay(5);
            swap(reload);
            var reloaded = await http.PostAsync($"/models/{model}/reload", null);
            reloaded.StatusCode.Should().Be(HttpStatusCode.OK);
            (await reloaded.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetInt32().Should().Be(reload + 2);
        }

        stop.Cancel();
        await Task.WhenAll(clients);
        answered.Should().BeGreaterThanOrEqualTo(100);
    }
}
