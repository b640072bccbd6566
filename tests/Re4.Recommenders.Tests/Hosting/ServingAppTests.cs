using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Re4.Recommenders.Models;
using Re4.Serving;

namespace Re4.Recommenders.Tests.Hosting;

/// <summary>The Re4.Serving sample, started in-process on a free loopback port and queried over real HTTP.</summary>
public sealed class ServingAppTests : IDisposable
{
    private readonly HostingFixture _fixture = new();
    private readonly TempDir _contentRoot = new();   // no appsettings.json: the command line configures the app

    public void Dispose()
    {
        _fixture.Dispose();
        _contentRoot.Dispose();
    }

    [Fact]
    public async Task ServingApp_ServesRecommendationsOverLoopback_AndRejectsBadInputWith400()
    {
        await using var app = ServingApp.Build(["--contentRoot", _contentRoot.Path, "--checkpoint", _fixture.RunPath, "--port", "0", "--max-top", "6"]);
        await app.StartAsync();
        var address = new Uri(app.Urls.Single());
        address.Host.Should().Be("127.0.0.1", "the server listens on loopback only");
        address.Port.Should().BePositive("port 0 asks for a free port");
        using var http = new HttpClient { BaseAddress = address };

        var response = await http.GetAsync("/recommend?history=9000000001,42,7&top=4");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        using (var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()))
        {
            var root = json.RootElement;
            var expected = _fixture.Expected([9000000001, 42, 7], 4, excludeHistory: true);
            root.GetProperty("model").GetString().Should().Be("ComiRecSA");
            root.GetProperty("items").EnumerateArray().Select(e => e.GetInt64()).Should().Equal(expected.Select(e => e.Item));
            root.GetProperty("interests").EnumerateArray().Select(e => e.GetInt32()).Should().Equal(expected.Select(e => e.Interest));
            root.GetProperty("scores").EnumerateArray().Select(e => e.GetDouble())
                .Should().Equal(expected.Select(e => e.Score), (a, b) => Math.Abs(a - b) < 1e-5);
            root.GetProperty("fallback").GetBoolean().Should().BeFalse();
        }

        using (var json = JsonDocument.Parse(await http.GetStringAsync("/recommend?history=42")))
            json.RootElement.GetProperty("items").GetArrayLength().Should().Be(6, "top defaults to 10, lowered to --max-top");
        using (var json = JsonDocument.Parse(await http.GetStringAsync("/recommend?history=&top=2&exclude=501")))
        {
            json.RootElement.GetProperty("fallback").GetBoolean().Should().BeTrue("an empty history gets the popular items");
            json.RootElement.GetProperty("items").EnumerateArray().Select(e => e.GetInt64()).Should().Equal(77, 9000000001);
        }

        await BadRequest(http, "/recommend?history=42,123456,99", "*items 123456, 99*");
        await BadRequest(http, "/recommend?history=42,x", "history: 'x' is not an item id*");
        await BadRequest(http, "/recommend", "*'history' is required*");
        await BadRequest(http, "/recommend?history=42&top=7", "top: '7' is not an integer in 1..6");
        await BadRequest(http, "/recommend?history=42&top=-1", "top: '-1'*");
        await BadRequest(http, "/recommend?history=42&exclude=1,-2", "exclude: '-2'*");
        await app.StopAsync();
    }

    private static async Task BadRequest(HttpClient http, string query, string pattern)
    {
        var response = await http.GetAsync(query);
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, query);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        json.RootElement.GetProperty("error").GetString().Should().Match(pattern, query);
    }

    [Theory]
    [InlineData(new[] { "--port", "0" }, "--checkpoint is required*")]
    [InlineData(new[] { "--checkpoint", "x", "--port", "70000" }, "--port must be an integer in 0..65535, not '70000'*")]
    public void Build_ThrowsNamingTheSetting_ForConfigurationErrors(string[] args, string pattern) =>
        FluentActions.Invoking(() => ServingApp.Build([.. args, "--contentRoot", _contentRoot.Path])).Should().Throw<ArgumentException>().WithMessage(pattern);

    [Fact]
    public async Task Start_FailsNamingTheKey_ForAnInvalidSettingInAppsettings()
    {
        _contentRoot.File("appsettings.json", $$"""{ "Serving": { "Port": 0 }, "Re4": { "Models": { "a": { "CheckpointPath": {{JsonSerializer.Serialize(_fixture.RunPath)}}, "Device": "gpu" } } } }""");
        await using var app = ServingApp.Build(["--contentRoot", _contentRoot.Path]);
        (await app.Invoking(a => a.StartAsync()).Should().ThrowAsync<Microsoft.Extensions.Options.OptionsValidationException>())
            .Which.Message.Should().StartWith("Re4:Models:a:Device is 'gpu'");
    }
}
