using System.Globalization;
using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Logging;
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
        var history = CliOptions.Parsed("history", "\"i1 i2 i3\"", "the history, oldest first: original item ids separated by spaces or commas", ParseHistory);
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

    private static (long[]? Value, string? Error) ParseHistory(string text)
    {
        var tokens = text.Split([' ', ',', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length == 0) return (null, "option --history needs at least one item id");
        var history = new long[tokens.Length];
        for (var i = 0; i < tokens.Length; i++)
        {
            if (!long.TryParse(tokens[i], NumberStyles.None, CultureInfo.InvariantCulture, out history[i]))
                return (null, $"option --history: '{tokens[i]}' is not an item id (non-negative integer)");
        }

        return (history, null);
    }

    private static int Run(VerbContext c, string checkpoint, long[] history, int top, bool exclude, TorchSharp.torch.Device device)
    {
        var stdout = c.Out;
        // The library's serving facade does the id mapping and names unknown items; the verb only parses and prints.
        Re4RecommenderService service;
        try
        {
            service = new Re4RecommenderService(new Re4RecommenderOptions { CheckpointPath = checkpoint, Device = device.type == TorchSharp.DeviceType.CUDA ? $"cuda:{Math.Max(device.index, 0)}" : null, ExcludeHistory = exclude, MaxTop = int.MaxValue });
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
