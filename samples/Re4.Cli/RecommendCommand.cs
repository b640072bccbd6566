using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Re4.Recommenders.Data;
using Re4.Recommenders.Models;

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

        var loaded = CliModels.LoadCheckpoint(checkpoint, null, device);
        var tokens = historyText.Split([' ', ',', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length == 0) throw new UsageException("option --history needs at least one item id");
        var history = new int[tokens.Length];
        var unknown = new List<string>();
        for (var i = 0; i < tokens.Length; i++)
        {
            if (!long.TryParse(tokens[i], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                throw new UsageException($"option --history: '{tokens[i]}' is not an item id (non-negative integer)");
            if (!loaded.TryGetItem(id, out history[i])) unknown.Add(tokens[i]);
        }

        if (unknown.Count > 0)
            throw new InvalidOperationException($"the model does not know item{(unknown.Count > 1 ? "s" : string.Empty)} {string.Join(", ", unknown)} (unseen in training or removed by the filter)");
        var name = CliModels.Name(loaded.Model.Config);
        var recommender = new MultiInterestRecommender(loaded.Model, name);
        var result = recommender.Retrieve(HistoryBatch.FromHistories([history]), top, exclude);
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("model", name);
            w.WriteStartArray("history");
            foreach (var t in tokens) w.WriteNumberValue(long.Parse(t, CultureInfo.InvariantCulture));
            w.WriteEndArray();
            w.WriteStartArray("items");
            for (var r = 0; r < top; r++)
            {
                var item = result.Items[r];
                if (item == 0) break;
                w.WriteStartObject();
                w.WriteNumber("item", loaded.OriginalItemId(item));
                w.WriteNumber("score", result.Scores[r]);
                w.WriteNumber("interest", result.Interests[r]);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        stdout.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
        return 0;
    }
}
