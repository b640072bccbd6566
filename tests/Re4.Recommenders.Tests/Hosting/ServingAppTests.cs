using System.Net;
using System.Text.Json;
using Re4.Serving;

namespace Re4.Recommenders.Tests.Hosting;

/// <summary>The Re4.Serving sample, started in-process on a free loopback port and queried over real HTTP.</summary>
public sealed class ServingAppTests : IDisposable
{
    private readonly HostingFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public async Task ServingApp_ServesRecommendationsOverLoopback_AndRejectsBadInputWith400()
    {
        await using var app = ServingApp.Build(["--checkpoint", _fixture.RunPath, "--port", "0", "--max-top", "6"]);
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
        }

        using (var json = JsonDocument.Parse(await http.GetStringAsync("/recommend?history=42")))
            json.RootElement.GetProperty("items").GetArrayLength().Should().Be(6, "top defaults to 10, lowered to --max-top");
        await BadRequest(http, "/recommend?history=42,123456,99", "*items 123456, 99*");
        await BadRequest(http, "/recommend?history=42,x", "history: 'x' is not an item id*");
        await BadRequest(http, "/recommend", "*'history' is required*");
        await BadRequest(http, "/recommend?history=42&top=7", "top: '7' is not an integer in 1..6");
        await BadRequest(http, "/recommend?history=42&top=-1", "top: '-1'*");
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
        FluentActions.Invoking(() => ServingApp.Build(args)).Should().Throw<ArgumentException>().WithMessage(pattern);
}
