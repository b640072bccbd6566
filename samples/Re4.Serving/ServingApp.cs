using System.Globalization;
using System.Net;
using Re4.Recommenders.Hosting;

namespace Re4.Serving;

/// <summary>
/// A minimal web app serving a trained checkpoint: <c>GET /recommend?history=1,2,3&amp;top=10</c> answers
/// <c>{"model", "items", "scores", "interests"}</c> in the data's original item ids, and 400 with <c>{"error"}</c> for
/// bad input. It listens on the loopback interface only: put a reverse proxy in front to expose it.
/// </summary>
public static class ServingApp
{
    /// <summary>Default <c>top</c> when the query gives none (lowered to <c>--max-top</c> when that is smaller).</summary>
    public const int DefaultTop = 10;

    /// <summary>Default <c>--port</c>.</summary>
    public const int DefaultPort = 5080;

    /// <summary>Default <c>--max-top</c>: the serving facade's own limit.</summary>
    public static int DefaultMaxTop { get; } = new Re4RecommenderOptions().MaxTop;

    /// <summary>Usage, printed for <c>--help</c> and after a configuration error.</summary>
    public static string Usage { get; } =
        $"Re4.Serving --checkpoint DIR [--port {DefaultPort}] [--max-top {DefaultMaxTop}] [--include-history]\n" +
        "Serves GET /recommend?history=ID,ID,...&top=N on 127.0.0.1 (port 0 picks a free one; the log says which).\n";

    /// <summary>Builds the app from command-line arguments (<c>--checkpoint</c>, <c>--port</c>, <c>--max-top</c>,
    /// <c>--include-history</c>; the same keys also come from environment variables and appsettings.json) and loads the
    /// checkpoint, so a wrong path fails here and not at the first request.</summary>
    /// <exception cref="ArgumentException">A setting is missing or invalid (the message names it).</exception>
    /// <exception cref="InvalidDataException">The checkpoint cannot be read.</exception>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var config = builder.Configuration;
        var port = IntSetting(config, "port", DefaultPort, 0, IPEndPoint.MaxPort);
        var maxTop = IntSetting(config, "max-top", DefaultMaxTop, 1, int.MaxValue);
        var includeHistory = config.GetValue("include-history", false);
        var checkpoint = config["checkpoint"];
        if (string.IsNullOrWhiteSpace(checkpoint))
            throw new ArgumentException("--checkpoint is required: the folder of a trained model (or of its training run, e.g. re4 train's --out).", "checkpoint");

        // Loopback only, whatever ASPNETCORE_URLS says: a model server has no authentication of its own.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        builder.Services.AddRe4Recommender(o =>
        {
            o.CheckpointPath = checkpoint;
            o.MaxTop = maxTop;
            o.ExcludeHistory = !includeHistory;
        });

        var app = builder.Build();
        var service = app.Services.GetRequiredService<Re4RecommenderService>();
        app.MapGet("/recommend", (string? history, string? top, CancellationToken cancellationToken) =>
            Recommend(service, history, top, cancellationToken));
        return app;
    }

    /// <summary>The endpoint: parses the query, maps bad input to 400 with a message that says what is wrong.</summary>
    private static IResult Recommend(Re4RecommenderService service, string? historyText, string? topText, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(historyText))
            return Error("query parameter 'history' is required: comma-separated item ids, oldest first (e.g. history=12,873,4410)");
        var tokens = historyText.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var history = new long[tokens.Length];
        for (var i = 0; i < tokens.Length; i++)
        {
            if (!long.TryParse(tokens[i], NumberStyles.None, CultureInfo.InvariantCulture, out history[i]))
                return Error($"history: '{tokens[i]}' is not an item id (a non-negative integer)");
        }

        var top = Math.Min(DefaultTop, service.MaxTop);
        if (topText is not null && (!int.TryParse(topText, NumberStyles.None, CultureInfo.InvariantCulture, out top) || top < 1 || top > service.MaxTop))
            return Error($"top: '{topText}' is not an integer in 1..{service.MaxTop}");

        try
        {
            var result = service.Recommend(history, top, cancellationToken);
            return Results.Ok(new RecommendResponse(service.Name, result.Items, result.Scores, result.Interests));
        }
        catch (ArgumentException e)
        {
            // Unknown item ids: the caller's data, not the server, is at fault.
            return Error(e.Message);
        }
    }

    private static IResult Error(string message) => Results.BadRequest(new ErrorResponse(message));

    private static int IntSetting(IConfiguration config, string key, int fallback, int min, int max)
    {
        var text = config[key];
        if (text is null) return fallback;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            throw new ArgumentException($"--{key} must be an integer in {min}..{max}, not '{text}'.", key);
        return value;
    }
}

/// <summary>The body of a successful <c>/recommend</c>: parallel lists, best first.</summary>
public sealed record RecommendResponse(string Model, IReadOnlyList<long> Items, IReadOnlyList<float> Scores, IReadOnlyList<int> Interests);

/// <summary>The body of a 400.</summary>
public sealed record ErrorResponse(string Error);
