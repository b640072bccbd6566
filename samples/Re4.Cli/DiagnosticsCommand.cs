using System.Globalization;
using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Re4.Recommenders.Data;
using Re4.Recommenders.Diagnostics;

namespace Re4.Cli;

/// <summary><c>re4 diagnostics</c>: what a trained model's interests look like, for one user (a picture) and on average
/// over the test users (the numbers <c>train</c> reports).</summary>
internal static class DiagnosticsCommand
{
    private const string Synopsis =
        "re4 diagnostics --checkpoint DIR --data PATH|synthetic --out DIR2 [--user ID] [options]\n" +
        "Encodes one user's history with a model trained by 're4 train' and writes DIR2/diagnostics.png (the K x L attention\n" +
        "of each interest over the history, items by original id, and the K x K cosine similarity of the interests) and\n" +
        "DIR2/diagnostics.json (the same numbers, and the interest diagnostics over all test users, which are also printed).\n\n";

    /// <summary>The <c>diagnostics</c> verb: its options and its action.</summary>
    public static Verb Create(Func<ParseResult, CancellationToken, VerbContext> context)
    {
        var data = new DataOptions();
        var checkpoint = CliOptions.Text("checkpoint", "DIR", "a run folder of 're4 train' (or its model/ folder); give the data options it was trained with", required: true);
        var user = CliOptions.Parsed<string?>("user", "ID",
            "the user's original id (default: the first test user); a test or validation user is\n" +
            "encoded with the history the evaluation gives it, a training user with its training sequence",
            text => string.IsNullOrWhiteSpace(text)
                ? (null, "option --user expects a user id, not an empty text")
                : (text.Trim(), null));
        var device = CliOptions.DeviceOption(string.Empty);
        var outDir = CliOptions.Text("out", "DIR2", "where diagnostics.png and diagnostics.json go", required: true);
        var verb = new Verb("diagnostics", "one user's interest attention and interest similarity from a checkpoint (diagnostics.png/.json)", Synopsis);
        verb.AddOptions([.. data.All, checkpoint, user, device, outDir]);
        Program.SetRun(verb, context, (parse, c) =>
            Run(c, data.Read(parse), parse.GetValue(checkpoint)!, parse.GetValue(user), parse.GetValue(device)!, parse.GetValue(outDir)!));
        return verb;
    }

    private static int Run(VerbContext c, DataSource source, string checkpoint, string? userId, TorchSharp.torch.Device device, string outDir)
    {
        var logger = c.Loggers.CreateLogger("diagnostics");
        var stdout = c.Out;
        var (dataset, split) = source.Load(logger);
        using var loaded = CliModels.LoadCheckpoint(checkpoint, dataset, device);
        var model = loaded.Model;
        var name = CliModels.Name(model.Config);
        var (user, role, history) = FindUser(dataset, split, userId);
        var snapshot = InterestSnapshot.Of(model, history);
        var items = snapshot.Items.Select(i => dataset.ItemIds[i]).ToArray();
        var summary = split.Test.Count > 0 ? InterestDiagnostics.Compute(model, split.Test, source.TopicOf(dataset)) : null;

        var originalUser = dataset.UserIds[user];
        Directory.CreateDirectory(outDir);
        AtomicFile.Write(Path.Combine(outDir, "diagnostics.json"), stream =>
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            w.WriteStartObject();
            w.WriteString("model", name);
            w.WriteString("dataset", dataset.Name);
            JsonIds.Write(w, "user", dataset.UserIds, user);
            w.WriteString("user_set", role);
            w.WriteStartArray("history");
            foreach (var item in snapshot.Items) JsonIds.WriteValue(w, dataset.ItemIds, item);
            w.WriteEndArray();
            WriteMatrix(w, "attention", snapshot.Attention);
            WriteMatrix(w, "interest_cosine", snapshot.Cosine);
            if (summary is not null)
            {
                w.WritePropertyName("diagnostics");
                JsonSerializer.Serialize(w, DiagnosticsSummary.From(summary), CliJsonContext.Default.DiagnosticsSummary);
            }

            w.WriteEndObject();
        });
        Plots.Diagnostics(Path.Combine(outDir, "diagnostics.png"), $"{name}, {role} user {originalUser}", snapshot,
            items);

        stdout.WriteLine($"{name} on {dataset.Name}: {role} user {originalUser}, {items.Length} history items, K = {snapshot.Attention.GetLength(0)}");
        var k = snapshot.Attention.GetLength(0);
        for (var q = 0; q < k; q++)
        {
            // The item each interest attends to most: the one-line version of the heatmap.
            var best = 0;
            for (var j = 1; j < items.Length; j++)
            {
                if (snapshot.Attention[q, j] > snapshot.Attention[q, best]) best = j;
            }

            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"interest {q}: attends most to item {items[best]} ({snapshot.Attention[q, best]:F3})"));
        }

        if (summary is not null) TrainCommand.PrintDiagnostics(stdout, summary);
        stdout.WriteLine($"wrote {Path.Combine(outDir, "diagnostics.png")} and diagnostics.json");
        return 0;
    }

    /// <summary>The user's dense id, which users it belongs to, and the history the model is given for it.</summary>
    private static (int User, string Role, int[] History) FindUser(SequenceDataset dataset, DataSplit split, string? originalId)
    {
        if (originalId is null)
        {
            var set = split.Test.Count > 0 ? split.Test : split.Valid.Count > 0 ? split.Valid
                : throw new InvalidOperationException("the split has no test or validation users; name a training user with --user");
            return (set.User(0), set == split.Test ? "test" : "valid", set.History(0).ToArray());
        }

        if (!dataset.TryGetUser(originalId, out var user))
            throw new InvalidOperationException($"user {originalId} is not in the data set (after --filter)");
        foreach (var (set, role) in new[] { (split.Test, "test"), (split.Valid, "valid") })
        {
            for (var i = 0; i < set.Count; i++)
            {
                if (set.User(i) == user) return (user, role, set.History(i).ToArray());
            }
        }

        for (var i = 0; i < split.TrainCount; i++)
        {
            if (split.TrainUser(i) == user) return (user, "train", split.TrainSequence(i).ToArray());
        }

        throw new InvalidOperationException($"user {originalId} has no history in this split (skipped evaluation user)");
    }

    private static void WriteMatrix(Utf8JsonWriter w, string name, float[,] values)
    {
        w.WriteStartArray(name);
        for (var r = 0; r < values.GetLength(0); r++)
        {
            w.WriteStartArray();
            for (var c = 0; c < values.GetLength(1); c++) w.WriteNumberValue(Math.Round(values[r, c], 6));
            w.WriteEndArray();
        }

        w.WriteEndArray();
    }
}
