using System.Text.Json;
using Re4.Recommenders.Training;

namespace Re4.Cli;

/// <summary>What <c>train</c> checks and keeps in its <c>--out</c> folder besides the library's run state: whether the
/// folder already holds something, that it is writable (checked before any data are loaded), the replacement of a run
/// for <c>--overwrite</c>, and <c>run.json</c>, the options that defined the run (as given, for <c>--resume</c> to use
/// them and refuse flags that contradict them).</summary>
internal static class RunFolder
{
    /// <summary>The file of the run-defining options.</summary>
    public const string ArgumentsFile = "run.json";

    private const int FormatVersion = 1;

    /// <summary>What <c>train</c> writes in a run folder (and <c>--overwrite</c> removes); anything else there is left alone.</summary>
    private static readonly string[] RunFiles = [ArgumentsFile, "metrics.json", TrainCommand.TrainingPlot, "split.json", "recommendations.tsv"];

    /// <summary>Whether <paramref name="directory"/> exists and holds any file or folder.</summary>
    public static bool HoldsAnything(string directory) => Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any();

    /// <summary>Creates <paramref name="directory"/> if needed and writes and deletes a probe file in it.</summary>
    /// <exception cref="IOException">It cannot be created or written; the message names it.</exception>
    public static void EnsureWritable(string directory)
    {
        var probe = Path.Combine(directory, $".re4-write-check-{Guid.NewGuid().ToString("N")[..8]}");
        try
        {
            Directory.CreateDirectory(directory);
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"--out {directory} is not writable: {e.Message}", e);
        }
    }

    /// <summary>Removes the run <c>train</c> wrote in <paramref name="directory"/> (model, resume state, their leftovers
    /// and the result files), for <c>--overwrite</c>.</summary>
    public static void Clear(string directory)
    {
        foreach (var folder in new[] { MultiInterestTrainer.ModelFolder, MultiInterestTrainer.ResumeFolder })
        {
            foreach (var path in Directory.GetDirectories(directory, folder).Concat(Directory.GetDirectories(directory, $".{folder}.*")))
                Directory.Delete(path, recursive: true);
        }

        foreach (var file in RunFiles)
        {
            var path = Path.Combine(directory, file);
            if (File.Exists(path)) File.Delete(path);
        }
    }

    /// <summary>Writes the run-defining arguments (<c>--name value</c> tokens) to <c>run.json</c>.</summary>
    public static void WriteArguments(string directory, IReadOnlyList<string> arguments) =>
        AtomicFile.Write(Path.Combine(directory, ArgumentsFile), s =>
        {
            using var writer = new Utf8JsonWriter(s, new JsonWriterOptions { Indented = true });
            writer.WriteStartObject();
            writer.WriteNumber("format", FormatVersion);
            writer.WriteStartArray("args");
            foreach (var a in arguments) writer.WriteStringValue(a);
            writer.WriteEndArray();
            writer.WriteEndObject();
        });

    /// <summary>The arguments of <c>run.json</c>, or null when the folder has none (a run of a version before 0.2).</summary>
    /// <exception cref="InvalidDataException">The file is damaged.</exception>
    public static string[]? ReadArguments(string directory)
    {
        var path = Path.Combine(directory, ArgumentsFile);
        if (!File.Exists(path)) return null;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            var root = document.RootElement;
            if (root.GetProperty("format").GetInt32() != FormatVersion) throw new InvalidDataException($"{path} has an unknown format.");
            return root.GetProperty("args").EnumerateArray().Select(a => a.GetString() ?? throw new InvalidDataException($"{path} is damaged.")).ToArray();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path} is damaged: {e.Message}", e);
        }
    }
}
