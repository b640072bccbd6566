using System.CommandLine;
using Re4.Recommenders.Export;
using Re4.Recommenders.Models;
using Re4.Recommenders.Safetensors;

namespace Re4.Cli;

/// <summary><c>re4 export</c>: a checkpoint's item table, and the interests of users of a histories file, as NumPy files
/// with id files, for Python and vector stores.</summary>
internal static class ExportCommand
{
    private const string Synopsis =
        "re4 export --checkpoint DIR --out DIR2 [--histories FILE] [--safetensors] [--device cpu|cuda]\n" +
        "Writes DIR2/item_embeddings.npy (float32, N x d) with DIR2/item_ids.txt (the original id of row i on line i + 1) and,\n" +
        "with --histories, DIR2/interests.npy (float32, U x K x d) with DIR2/users.txt; with --safetensors, DIR2/model.safetensors\n" +
        "(every weight under its state_dict name, for PyTorch's safetensors.torch.load_file).\n\n";

    /// <summary>The <c>export</c> verb: its options and its action.</summary>
    public static Verb Create(Func<ParseResult, CancellationToken, VerbContext> context)
    {
        var checkpoint = CliOptions.Text("checkpoint", "DIR", "a run folder of 're4 train' (or its model/ folder)", required: true);
        var outDir = CliOptions.Text("out", "DIR2", "where the files go (created if needed; files of the same names are replaced)", required: true);
        var histories = CliOptions.Text("histories", "FILE",
            "one user per line, 'user item item ...' oldest first (the sequence format, the data's original ids);\nitems the model does not know are skipped", required: false);
        var safetensors = CliOptions.Flag("safetensors", "also write the model's weights as DIR2/model.safetensors (state_dict names, float32)");
        var device = CliOptions.DeviceOption(string.Empty);
        var verb = new Verb("export", "write a checkpoint's item embeddings (and users' interests) as .npy files with id files", Synopsis);
        verb.AddOptions(checkpoint, outDir, histories, safetensors, device);
        Program.SetRun(verb, context, (parse, c) =>
            Run(c, parse.GetValue(checkpoint)!, parse.GetValue(outDir)!, parse.GetValue(histories), parse.GetValue(safetensors), parse.GetValue(device)!));
        return verb;
    }

    private static int Run(VerbContext c, string checkpoint, string outDir, string? histories, bool safetensors, TorchSharp.torch.Device device)
    {
        if (histories is not null && !File.Exists(histories)) return c.Usage($"option --histories: {histories} does not exist");
        using (var loaded = CliModels.LoadCheckpoint(checkpoint, null, device))
        {
            var report = EmbeddingExporter.Export(loaded, outDir, histories);
            c.Out.WriteLine($"wrote {report.Items} items x {report.Dimension} to {Path.Combine(outDir, EmbeddingExporter.ItemEmbeddingsFile)} and {Path.Combine(outDir, EmbeddingExporter.ItemIdsFile)}");
            if (histories is not null)
            {
                c.Out.WriteLine($"wrote {report.Users} users x {report.Interests} interests x {report.Dimension} to {Path.Combine(outDir, EmbeddingExporter.InterestsFile)} and {Path.Combine(outDir, EmbeddingExporter.UsersFile)}" +
                    (report.UnknownItems > 0 ? $"; skipped {report.UnknownItems} history items the model does not know" : string.Empty));
            }

            if (safetensors)
            {
                var weights = Path.Combine(outDir, SafetensorsWeights.FileName);
                SafetensorsWeights.Save(loaded.Model, weights);
                c.Out.WriteLine($"wrote {SafetensorsWeights.Describe(loaded.Model).Count} weight tensors to {weights}");
            }
        }

        return 0;
    }
}
