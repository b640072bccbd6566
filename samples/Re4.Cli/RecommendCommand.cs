using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Re4.Recommenders.Hosting;

namespace Re4.Cli;

/// <summary><c>re4 recommend</c>: top-N items for one history, as JSON, with the interest that retrieved each.</summary>
internal static class RecommendCommand
{
    public const string Help =
        "re4 recommend --checkpoint DIR --history \"i1 i2 i3\" [--top 10] [--exclude-history] [--device cpu|cuda]\n" +
        "Prints JSON: {\"model\", \"history\", \"items\": [{\"item\", \"score\", \"interest\"}, ...]} with the data's original item ids.\n";

    public static int Run(CliArguments args, ILoggerFactory loggers, TextWriter stdout)
    {
        var checkpoint = args.Required("checkpoint");
        var historyText = args.Required("history");
        var top = args.Int("top", 10, min: 1);
        var exclude = args.Flag("exclude-history");
        var device = CliModels.ParseDevice(args);
        args.EnsureAllUsed("recommend");

        var tokens = historyText.Split([' ', ',', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length == 0) throw new UsageException("option --history needs at least one item id");
        var history = new long[tokens.Length];
        for (var i = 0; i < tokens.Length; i++)
        {
            if (!long.TryParse(tokens[i], NumberStyles.None, CultureInfo.InvariantCulture, out history[i]))
                throw new UsageException($"option --history: '{tokens[i]}' is not an item id (non-negative integer)");
        }

        // The library's serving facade does the id mapping and names unknown items; the verb only parses and prints.
        Re4RecommenderService service;
        try
        {
            service = new Re4RecommenderService(new Re4RecommenderOptions { CheckpointPath = checkpoint, Device = device, ExcludeHistory = exclude, MaxTop = int.MaxValue });
        }
        catch (InvalidDataException e)
        {
            throw new InvalidOperationException(e.InnerException?.Message ?? e.Message, e);
        }

        using (service)
        {
            var result = service.Recommend(history, top);
            var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                w.WriteStartObject();
                w.WriteString("model", CliModels.Name(service.Config));
                w.WriteStartArray("history");
                foreach (var id in history) w.WriteNumberValue(id);
                w.WriteEndArray();
                w.WriteStartArray("items");
                for (var r = 0; r < result.Items.Count; r++)
                {
                    w.WriteStartObject();
                    w.WriteNumber("item", result.Items[r]);
                    w.WriteNumber("score", result.Scores[r]);
                    w.WriteNumber("interest", result.Interests[r]);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            stdout.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
        }

        return 0;
    }
}
