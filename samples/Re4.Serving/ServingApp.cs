using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Primitives;
using Re4.Recommenders.Hosting;
using Re4.Recommenders.PgVector;
using Re4.Recommenders.USearch;

namespace Re4.Serving;

/// <summary>
/// A web app serving one or more trained checkpoints side by side, configured through <c>appsettings.json</c>: each entry
/// of <c>Re4:Models</c> is a keyed <see cref="IRe4Recommender"/> bound from its section (<c>CheckpointPath</c>,
/// <c>Device</c>, <c>MaxTop</c>, <c>UnknownItems</c>, <c>WatchInterval</c>, ...). Endpoints (original item ids in and
/// out, numbers or text such as SKUs: JSON numbers for a checkpoint whose ids are all numbers, strings otherwise; 400 with
/// <c>{"error"}</c> for bad input):
/// <list type="bullet">
/// <item><c>GET /models/{name}/recommend?history=1,2,3&amp;top=10&amp;exclude=4,5</c> and <c>GET /recommend?...</c> (the
/// first model): <c>{"model", "version", "items", "scores", "interests", "fallback", "skipped"}</c>.</item>
/// <item><c>POST /models/{name}/recommend</c> with <c>[{"history": [...], "top": 10, "exclude": [...]}, ...]</c>: a batch.</item>
/// <item><c>GET /models</c>: what each model serves; <c>POST /models/{name}/reload</c>: reload from its configured path.</item>
/// <item><c>GET /health</c>: the standard health checks, one per model (200 once every model is loaded).</item>
/// </list>
/// It listens on the loopback interface only: put a reverse proxy in front to expose it.
/// </summary>
public static class ServingApp
{
    /// <summary>Default <c>top</c> when the query gives none (lowered to the model's <c>MaxTop</c> when that is smaller).</summary>
    public const int DefaultTop = RecommendationRequest.DefaultTop;

    /// <summary>Default port (<c>Serving:Port</c> or <c>--port</c>).</summary>
    public const int DefaultPort = 5080;

    /// <summary>The model a <c>--checkpoint</c> on the command line defines.</summary>
    public const string CommandLineModel = "default";

    /// <summary>Default <c>--max-top</c>: the serving facade's own limit.</summary>
    public static int DefaultMaxTop { get; } = Re4RecommenderOptions.DefaultMaxTop;

    /// <summary>Usage, printed for <c>--help</c> and after a configuration error.</summary>
    public static string Usage { get; } =
        "Re4.Serving [--contentRoot DIR]   (models from DIR/appsettings.json, section Re4:Models; default DIR: the app's folder)\n" +
        $"Re4.Serving --checkpoint DIR [--port {DefaultPort}] [--max-top {DefaultMaxTop}] [--include-history]   (one model, named '{CommandLineModel}')\n" +
        "Serves GET /models/NAME/recommend?history=ID,ID,...&top=N, GET /recommend (the first model), GET /models, GET /health\n" +
        "and POST /models/NAME/reload on 127.0.0.1 (port 0 picks a free one; the log says which).\n";

    /// <summary>Builds the app from <c>appsettings.json</c> in the content root (<c>--contentRoot</c>, else the app's
    /// folder), environment variables and the command line (<c>--checkpoint</c>, <c>--port</c>, <c>--max-top</c>,
    /// <c>--include-history</c> define one model for quick use). The models are loaded when the app starts, before it
    /// accepts a request; an invalid setting fails the start naming its key.</summary>
    /// <exception cref="ArgumentException">A setting is missing or invalid (the message names it).</exception>
    public static WebApplication Build(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = ContentRoot(args) });
        var config = builder.Configuration;
        var port = IntSetting(config, "port", IntSetting(config, "Serving:Port", DefaultPort, 0, IPEndPoint.MaxPort), 0, IPEndPoint.MaxPort);
        var checkpoint = config["checkpoint"];
        if (checkpoint is not null)
        {
            if (string.IsNullOrWhiteSpace(checkpoint)) throw new ArgumentException("--checkpoint needs a folder.", "checkpoint");
            var prefix = $"Re4:Models:{CommandLineModel}:";
            config.AddInMemoryCollection(new Dictionary<string, string?>
            {
                [prefix + nameof(Re4RecommenderOptions.CheckpointPath)] = checkpoint,
                [prefix + nameof(Re4RecommenderOptions.MaxTop)] = IntSetting(config, "max-top", DefaultMaxTop, 1, int.MaxValue).ToString(CultureInfo.InvariantCulture),
                [prefix + nameof(Re4RecommenderOptions.ExcludeHistory)] = (!config.GetValue("include-history", false)).ToString(),
            });
        }

        var models = config.GetSection("Re4:Models").GetChildren().Select(s => s.Key).ToArray();
        if (models.Length == 0)
            throw new ArgumentException("--checkpoint is required, or models in appsettings.json: Re4:Models:NAME:CheckpointPath (the folder of a trained model or of its training run, e.g. re4 train's --out).", "checkpoint");

        // Loopback only, whatever ASPNETCORE_URLS says: a model server has no authentication of its own.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        var health = builder.Services.AddHealthChecks();
        foreach (var name in models)
        {
            builder.Services.AddKeyedRe4Recommender(name, config.GetSection($"Re4:Models:{name}"));
            // Re4:USearch:NAME (true, or graph options) serves that model through a USearch index (docs/scaling.md).
            if (config.GetSection($"Re4:USearch:{name}") is { } usearch && usearch.Exists())
                builder.Services.AddRe4USearch(name, usearch);
            health.Add(Re4RecommenderHealthCheck.Registration(name));
        }

        // A section Re4PgVector serves every model's retrieval from PostgreSQL + pgvector (each model published first
        // with `re4 publish`); its connection strings come from the section or the environment (RE4_PG_CONNECTION).
        if (config.GetSection(PgVectorServingExtensions.DefaultSection).Exists())
            builder.Services.AddRe4PgVectorScorer(config.GetSection(PgVectorServingExtensions.DefaultSection));

        var app = builder.Build();
        Re4RecommenderService Model(string name) => app.Services.GetRequiredKeyedService<Re4RecommenderService>(name);
        IResult WithModel(string name, Func<Re4RecommenderService, IResult> answer) =>
            models.Contains(name, StringComparer.Ordinal)
                ? answer(Model(name))
                : Results.NotFound(new ErrorResponse($"no model '{name}'; the models are {string.Join(", ", models)}"));

        app.MapGet("/recommend", (HttpContext http) => Recommend(Model(models[0]), http.Request.Query, http.RequestAborted));
        app.MapGet("/models/{name}/recommend", (string name, HttpContext http) => WithModel(name, m => Recommend(m, http.Request.Query, http.RequestAborted)));
        app.MapPost("/models/{name}/recommend", (string name, BatchItem[] body, CancellationToken cancellationToken) => WithModel(name, m => RecommendBatch(m, body, cancellationToken)));
        app.MapGet("/models", () => Results.Ok(models.Select(name => Describe(name, Model(name))).ToArray()));
        app.MapPost("/models/{name}/reload", (string name) => WithModel(name, m =>
        {
            try
            {
                m.Reload();
                return Results.Ok(Describe(name, m));
            }
            catch (Exception e) when (e is InvalidDataException or IOException or InvalidOperationException)
            {
                // The previous model keeps answering; the health check reports Degraded.
                return Results.Json(new ErrorResponse(e.Message), statusCode: StatusCodes.Status500InternalServerError);
            }
        }));
        app.MapHealthChecks("/health");
        return app;
    }

    /// <summary>The content root: <c>--contentRoot</c> when given, else the app's own folder (where appsettings.json is
    /// copied), so that the app finds its settings from any working directory.</summary>
    private static string ContentRoot(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith("--contentRoot=", StringComparison.OrdinalIgnoreCase)) return Path.GetFullPath(args[i]["--contentRoot=".Length..]);
            if (args[i].Equals("--contentRoot", StringComparison.OrdinalIgnoreCase) && i + 1 < args.Length) return Path.GetFullPath(args[i + 1]);
        }

        return AppContext.BaseDirectory;
    }

    private static ModelResponse Describe(string name, Re4RecommenderService model)
    {
        var info = model.Model;
        return new ModelResponse(name, info.Name, info.Version, info.ItemCount, info.ModelDirectory, info.LoadedAt, model.LastReloadError);
    }

    /// <summary>One GET: parses the query, maps bad input to 400 with a message that says what is wrong.</summary>
    private static IResult Recommend(Re4RecommenderService service, IQueryCollection query, CancellationToken cancellationToken)
    {
        if (!query.TryGetValue("history", out var historyText))
            return Error("query parameter 'history' is required: comma-separated item ids, oldest first (e.g. history=12,873,4410; empty for the popular items)");
        // Checked against the model answering now; a reload in between at worst answers 400 for unknown items.
        var numeric = service.Model.NumericItemIds;
        var history = Tokens(historyText);
        var exclude = Tokens(query["exclude"]);
        if (BadId("history", history, numeric) is { } historyError) return Error(historyError);
        if (BadId("exclude", exclude, numeric) is { } excludeError) return Error(excludeError);
        var top = Math.Min(DefaultTop, service.MaxTop);
        if (query.TryGetValue("top", out var topText)
            && (!int.TryParse(topText, NumberStyles.None, CultureInfo.InvariantCulture, out top) || top < 1 || top > service.MaxTop))
            return Error($"top: '{topText}' is not an integer in 1..{service.MaxTop}");

        try
        {
            var result = service.Recommend(Request(history, exclude, top, numeric), cancellationToken);
            return Results.Ok(Response(service, result));
        }
        catch (UnknownItemsException e)
        {
            // Unknown item ids: the caller's data, not the server, is at fault.
            return Error(e.Message);
        }
    }

    private static IResult RecommendBatch(Re4RecommenderService service, BatchItem[] body, CancellationToken cancellationToken)
    {
        var numeric = service.Model.NumericItemIds;
        var requests = new RecommendationRequest[body.Length];
        for (var i = 0; i < body.Length; i++)
        {
            var item = body[i];
            var top = item.Top ?? Math.Min(DefaultTop, service.MaxTop);
            if (item.History is null) return Error($"[{i}].history is required");
            if (top < 1 || top > service.MaxTop) return Error($"[{i}].top: {top} is not in 1..{service.MaxTop}");
            if (BadId($"[{i}].history", item.History, numeric) is { } historyError) return Error(historyError);
            if (BadId($"[{i}].exclude", item.Exclude ?? [], numeric) is { } excludeError) return Error(excludeError);
            requests[i] = Request(item.History, item.Exclude ?? [], top, numeric);
        }

        try
        {
            return Results.Ok(service.RecommendBatch(requests, cancellationToken).Select(r => Response(service, r)).ToArray());
        }
        catch (UnknownItemsException e)
        {
            return Error(e.Message);
        }
    }

    /// <summary>The answer as JSON: ids as numbers when the answering model's ids are numbers (as before text ids
    /// existed), as strings otherwise.</summary>
    private static RecommendResponse Response(Re4RecommenderService service, Recommendation r)
    {
        JsonNode[] Ids(IReadOnlyList<long> numbers, IReadOnlyList<string> keys) => r.NumericItemIds && numbers.Count == keys.Count
            ? numbers.Select(n => (JsonNode)JsonValue.Create(n)).ToArray()
            : keys.Select(k => (JsonNode)JsonValue.Create(k)).ToArray();
        return new(service.Name, r.ModelVersion, Ids(r.Items, r.ItemKeys), r.Scores, r.Interests, r.IsFallback, Ids(r.SkippedItems, r.SkippedKeys));
    }

    /// <summary>A request by numbers for a numeric model (exactly as before text ids existed: "007" finds 7), by text
    /// otherwise.</summary>
    private static RecommendationRequest Request(string[] history, string[] exclude, int top, bool numeric) => numeric
        ? new RecommendationRequest(history.Select(Number).ToArray(), top) { ExcludeItems = exclude.Select(Number).ToArray() }
        : new RecommendationRequest { HistoryKeys = history, Top = top, ExcludeKeys = exclude };

    private static long Number(string id) => long.Parse(id, NumberStyles.None, CultureInfo.InvariantCulture);

    private static string[] Tokens(StringValues values) =>
        string.Join(',', values.ToArray()).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>What is wrong with the first bad id: for a numeric model, ids must be non-negative integers.</summary>
    private static string? BadId(string name, string[] ids, bool numeric)
    {
        foreach (var id in ids)
        {
            if (string.IsNullOrEmpty(id)) return $"{name}: an item id is empty";
            if (numeric && !long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                return $"{name}: '{id}' is not an item id (a non-negative integer: this model's ids are numbers)";
        }

        return null;
    }

    private static IResult Error(string message) => Results.BadRequest(new ErrorResponse(message));

    private static int IntSetting(IConfiguration config, string key, int fallback, int min, int max)
    {
        var text = config[key];
        if (text is null) return fallback;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            throw new ArgumentException($"{(key.Contains(':') ? key : "--" + key)} must be an integer in {min}..{max}, not '{text}'.", key);
        return value;
    }
}
