using System.CommandLine;
using System.Text.Json;
using Re4.Recommenders.Hosting;

namespace Re4.Cli;

/// <summary><c>re4 recommend</c>: top-N items for one history, as JSON, with the interest that retrieved each.</summary>
internal static class RecommendCommand
{
    private const string Synopsis =
        "re4 recommend --checkpoint DIR --history \"i1 i2 i3\" [--top N] [--exclude-history] [--device cpu|cuda]\n" +
        "Prints JSON: {\"model\", \"history\", \"items\": [{\"item\", \"score\", \"interest\"}, ...]} with the data's original item ids.\n\n";

    /// <summary>Items recommended without <c>--top</c>.</summary>
    private const int DefaultTop = 10;

    /// <summary>The <c>recommend</c> verb: its options and its action.</summary>
    public static Verb Create(Func<ParseResult, CancellationToken, VerbContext> context)
    {
        var checkpoint = CliOptions.Text("checkpoint", "DIR", "a run folder of 're4 train' (or its model/ folder)", required: true);
        var history = CliOptions.Parsed("history", "\"i1 i2 i3\"", "the history, oldest first: original item ids (numbers or text) separated by spaces or commas", ParseHistory);
        history.Required = true;
        var top = CliOptions.Int("top", "N", "how many items", DefaultTop, min: 1);
        var exclude = CliOptions.Flag("exclude-history", "never recommend an item of the history (default: not filtered)");
        var device = CliOptions.DeviceOption(string.Empty);
        var verb = new Verb("recommend", "top-N items for one history from a trained checkpoint, as JSON", Synopsis);
        verb.AddOptions(checkpoint, history, top, exclude, device);
        Program.SetRun(verb, context, (parse, c) =>
            Run(c, parse.GetValue(checkpoint)!, parse.GetValue(history)!, parse.GetValue(top), parse.GetValue(exclude), parse.GetValue(device)!));
        return verb;
    }

    private static (string[]? Value, string? Error) ParseHistory(string text)
    {
        // Ids are numbers or text (SKUs, ASINs): any token is an id; the model says which it knows.
        var tokens = text.Split([' ', ',', '\t'], StringSplitOptions.RemoveEmptyEntries);
        return tokens.Length == 0 ? (null, "option --history needs at least one item id") : (tokens, null);
    }

    private static int Run(VerbContext c, string checkpoint, string[] history, int top, bool exclude, TorchSharp.torch.Device device)
    {
        // The library's serving facade maps the ids (numbers or text) and names unknown items; the verb parses and prints.
        using var service = new Re4RecommenderService(new Re4RecommenderOptions
        {
            CheckpointPath = checkpoint,
            Device = device.type == TorchSharp.DeviceType.CUDA ? $"cuda:{Math.Max(device.index, 0)}" : "cpu",
            ExcludeHistory = exclude,
            MaxTop = int.MaxValue,
        });
        var config = service.Config;
        // A list longer than the catalogue cannot be filled; a huge --top would only allocate for nothing.
        if (top > config.ItemCount) return c.Usage($"option --top {top} exceeds the checkpoint's catalogue of {config.ItemCount} items");
        var result = service.RecommendKeys(history, top, c.Cancellation);
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("model", CliModels.Name(config));
            w.WriteStartArray("history");
            // Every history id is known here (an unknown one was refused), so a numeric model's ids parse as numbers.
            foreach (var id in history) WriteId(w, id, result.NumericItemIds);
            w.WriteEndArray();
            w.WriteStartArray("items");
            for (var r = 0; r < result.ItemKeys.Count; r++)
            {
                w.WriteStartObject();
                w.WritePropertyName("item");
                WriteId(w, result.ItemKeys[r], result.NumericItemIds);
                w.WriteNumber("score", result.Scores[r]);
                w.WriteNumber("interest", result.Interests[r]);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        c.Out.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
        return 0;
    }

    /// <summary>A numeric id as a JSON number (as it always was), a text id as a JSON string.</summary>
    private static void WriteId(Utf8JsonWriter w, string id, bool numeric)
    {
        if (numeric) w.WriteNumberValue(long.Parse(id, System.Globalization.CultureInfo.InvariantCulture));
        else w.WriteStringValue(id);
    }
}
