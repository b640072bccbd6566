using System.Net.Http.Json;
using System.Text.Json;
using Re4.Recommenders.Models;
using Re4.Recommenders.Tests.Hosting;
using Re4.Recommenders.Training;
using Re4.Recommenders.USearch;
using Re4.Serving;

namespace Re4.Recommenders.Tests.USearch;

/// <summary>The serving sample switches a model to USearch from appsettings.json (<c>Re4:USearch:NAME</c>) and leaves
/// the others on the exact scorer.</summary>
public sealed class USearchServingAppTests : IDisposable
{
    private readonly HostingFixture _a = new(seed: 23);
    private readonly HostingFixture _b = new(seed: 29);
    private readonly TempDir _root = new();

    [Fact]
    public async Task ServingApp_USearchSection_ServesThatModelThroughAnIndexInItsFolder()
    {
        _root.File("appsettings.json", $$"""
            {
              "Serving": { "Port": 0 },
              "Re4": {
                "Models": {
                  "a": { "CheckpointPath": {{JsonSerializer.Serialize(_a.RunPath)}} },
                  "b": { "CheckpointPath": {{JsonSerializer.Serialize(_b.RunPath)}} }
                },
                "USearch": { "a": { "ExpansionSearch": 64 } }
              }
            }
            """);
        await using var app = ServingApp.Build(["--contentRoot", _root.Path]);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };

        var body = await http.GetFromJsonAsync<JsonElement>("/models/a/recommend?history=42,501&top=4");

        body.GetProperty("items").EnumerateArray().Select(e => e.GetInt64()).Should()
            .Equal(_a.Expected([42, 501], 4, excludeHistory: true).Select(e => e.Item), "8 items: the graph search covers them all");
        File.Exists(Path.Combine(_a.RunPath, MultiInterestTrainer.ModelFolder, USearchCandidateScorer.IndexFileName)).Should().BeTrue();
        File.Exists(Path.Combine(_b.RunPath, MultiInterestTrainer.ModelFolder, USearchCandidateScorer.IndexFileName)).Should().BeFalse("b has no USearch section");
        await app.StopAsync();
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
        _root.Dispose();
    }
}
