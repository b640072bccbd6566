using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Re4.Recommenders.Data;
using Re4.Recommenders.Models;

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
        var stdout = c.Out;
        var loaded = CliModels.LoadCheckpoint(checkpoint, null, device);
        using (loaded)
        {
            // A list longer than the catalogue cannot be filled; a huge --top would only allocate for nothing.
            if (top > loaded.Model.Config.ItemCount)
                return c.Usage($"option --top {top} exceeds the checkpoint's catalogue of {loaded.Model.Config.ItemCount} items");
            var ids = loaded.ItemIds;
            var dense = new int[history.Length];
            var unknown = new List<string>();
            for (var i = 0; i < history.Length; i++)
            {
                if (!ids.TryGetIndex(history[i], out dense[i])) unknown.Add(history[i]);
            }

            // The same message as the serving facade's, fit to show to whoever sent the history.
            if (unknown.Count > 0)
                throw new ArgumentException($"The model does not know item{(unknown.Count > 1 ? "s" : string.Empty)} {string.Join(", ", unknown)} (unseen in training or removed by the data filter).");

            var config = loaded.Model.Config;
            using var recommender = new MultiInterestRecommender(loaded.Model, config.Label ?? config.Encoder);
            var result = recommender.Retrieve(HistoryBatch.FromHistories([dense]), top, exclude, c.Cancellation);
            var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                w.WriteStartObject();
                w.WriteString("model", CliModels.Name(config));
                w.WriteStartArray("history");
                foreach (var item in dense) JsonIds.WriteValue(w, ids, item);
                w.WriteEndArray();
                w.WriteStartArray("items");
                for (var r = 0; r < top && result.Items[r] != 0; r++)   // slots past the catalogue's end hold item 0
                {
                    w.WriteStartObject();
                    JsonIds.Write(w, "item", ids, result.Items[r]);
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
