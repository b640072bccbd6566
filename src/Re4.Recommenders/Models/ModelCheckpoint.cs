using System.Text.Json;
using Re4.Recommenders.Extractors;
using TorchSharp;
using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace Re4.Recommenders.Models;

/// <summary>
/// A trained model on disk: a folder with <c>model.json</c> (format version and <see cref="ModelConfig"/>), <c>model.bin</c>
/// (TorchSharp weights) and <c>item_ids.bin</c> (the original id of each dense item id, so results speak the data's ids).
/// Folders are written atomically: into a temporary sibling, then swapped in, so a crash never leaves a half-written model.
/// </summary>
public static class ModelCheckpoint
{
    /// <summary>The configuration file.</summary>
    public const string ConfigFile = "model.json";

    /// <summary>The weights file.</summary>
    public const string WeightsFile = "model.bin";

    /// <summary>The item id map file.</summary>
    public const string ItemIdsFile = "item_ids.bin";

    private const int FormatVersion = 1;
    private static readonly byte[] IdsMagic = "RE4IDS01"u8.ToArray();

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Saves a model and its item id map (index = dense id; index 0 unused) into <paramref name="directory"/>.</summary>
    public static void Save(string directory, MultiInterestModel model, ReadOnlySpan<long> originalItemIds)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(model);
        if (originalItemIds.Length != model.Config.ItemCount + 1)
            throw new ArgumentException($"originalItemIds must have N + 1 = {model.Config.ItemCount + 1} entries; it has {originalItemIds.Length}.", nameof(originalItemIds));
        var ids = originalItemIds.ToArray();
        AtomicDirectoryWriter.Write(directory, temp => WriteFiles(temp, model, ids));
    }

    internal static void WriteFiles(string directory, MultiInterestModel model, long[] originalItemIds)
    {
        var document = new CheckpointDocument(FormatVersion, typeof(ModelCheckpoint).Assembly.GetName().Version?.ToString() ?? "0", model.Config);
        File.WriteAllText(Path.Combine(directory, ConfigFile), JsonSerializer.Serialize(document, Json));
        model.save(Path.Combine(directory, WeightsFile));
        using var stream = new FileStream(Path.Combine(directory, ItemIdsFile), FileMode.CreateNew);
        using var writer = new BinaryWriter(stream);
        writer.Write(IdsMagic);
        writer.Write(originalItemIds.Length);
        foreach (var id in originalItemIds) writer.Write(id);
    }

    /// <summary>The model folder at <paramref name="path"/>: the path itself when it holds <see cref="ConfigFile"/>, else its
    /// <see cref="Training.MultiInterestTrainer.ModelFolder"/> subfolder, so a training run's folder (the trainer's
    /// checkpoint directory) can be given where a model is expected.</summary>
    /// <exception cref="InvalidDataException">Neither holds a model.</exception>
    public static string FindModelDirectory(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (File.Exists(Path.Combine(path, ConfigFile))) return path;
        var nested = Path.Combine(path, Training.MultiInterestTrainer.ModelFolder);
        if (File.Exists(Path.Combine(nested, ConfigFile))) return nested;
        throw new InvalidDataException($"{path} holds no model: expected {ConfigFile} there or in its {Training.MultiInterestTrainer.ModelFolder}/ folder.");
    }

    /// <summary>Loads a model saved by <see cref="Save"/>, onto <paramref name="device"/> (CPU by default).</summary>
    /// <exception cref="InvalidDataException">A file is missing, truncated or of another format version, or the model was
    /// trained with an extractor of your own (load it with the overload that builds it).</exception>
    public static LoadedModel Load(string directory, Device? device = null) => Load(directory, null, device);

    /// <summary>Loads a model trained with an extractor of your own (<see cref="ModelKind.Custom"/>): the saved weights are
    /// loaded into the model built around the extractor <paramref name="createExtractor"/> returns for the saved
    /// configuration. Built-in kinds ignore it.</summary>
    /// <exception cref="InvalidDataException">A file is missing, truncated or of another format version.</exception>
    public static LoadedModel Load(string directory, Func<ModelConfig, IInterestExtractor>? createExtractor, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var configPath = Path.Combine(directory, ConfigFile);
        if (!File.Exists(configPath)) throw new InvalidDataException($"{directory} is not a model checkpoint: {ConfigFile} is missing.");
        CheckpointDocument document;
        try
        {
            document = JsonSerializer.Deserialize<CheckpointDocument>(File.ReadAllText(configPath), Json)
                ?? throw new InvalidDataException($"{configPath} is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{configPath} is not a valid model configuration: {e.Message}", e);
        }

        if (document.Format != FormatVersion)
            throw new InvalidDataException($"{configPath} has checkpoint format {document.Format}; this library reads format {FormatVersion}.");
        var config = document.Config ?? throw new InvalidDataException($"{configPath} has no config.");
        MultiInterestModel model;
        if (config.Kind != ModelKind.Custom) model = new MultiInterestModel(config);
        else if (createExtractor is not null) model = new MultiInterestModel(config, createExtractor(config));
        else throw new InvalidDataException($"{configPath}: the model was trained with an extractor of your own ({nameof(ModelKind)}.{nameof(ModelKind.Custom)}); load it with ModelCheckpoint.Load(directory, config => yourExtractor).");
        var weights = Path.Combine(directory, WeightsFile);
        if (!File.Exists(weights)) throw new InvalidDataException($"{directory}: {WeightsFile} is missing.");
        try
        {
            model.load(weights);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{weights} is truncated.", e);
        }

        if (device is not null) model.to(device);
        model.eval();
        return new LoadedModel(model, ReadIds(Path.Combine(directory, ItemIdsFile), config.ItemCount));
    }

    private static long[] ReadIds(string path, int itemCount)
    {
        if (!File.Exists(path)) throw new InvalidDataException($"{path} is missing.");
        using var reader = new BinaryReader(File.OpenRead(path));
        try
        {
            if (!reader.ReadBytes(IdsMagic.Length).AsSpan().SequenceEqual(IdsMagic)) throw new InvalidDataException($"{path} is not an item id map.");
            var n = reader.ReadInt32();
            if (n != itemCount + 1) throw new InvalidDataException($"{path} maps {n - 1} items; the model has {itemCount}.");
            var ids = new long[n];
            for (var i = 0; i < n; i++) ids[i] = reader.ReadInt64();
            return ids;
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path} is truncated.", e);
        }
    }

    private sealed record CheckpointDocument(int Format, string Library, ModelConfig? Config);
}

/// <summary>A model loaded from a checkpoint, with its item id map.</summary>
public sealed class LoadedModel
{
    private readonly long[] _originalItemIds;
    private readonly Lazy<Dictionary<long, int>> _lookup;

    internal LoadedModel(MultiInterestModel model, long[] originalItemIds)
    {
        Model = model;
        _originalItemIds = originalItemIds;
        _lookup = new(() =>
        {
            var d = new Dictionary<long, int>(originalItemIds.Length);
            for (var i = 1; i < originalItemIds.Length; i++) d[originalItemIds[i]] = i;
            return d;
        });
    }

    /// <summary>The model, in evaluation mode.</summary>
    public MultiInterestModel Model { get; }

    /// <summary>The original id of a dense item id.</summary>
    public long OriginalItemId(int item) => _originalItemIds[item];

    /// <summary>The dense id of an original item id.</summary>
    public bool TryGetItem(long originalId, out int item) => _lookup.Value.TryGetValue(originalId, out item);

    /// <summary>The whole map (index = dense id).</summary>
    public ReadOnlySpan<long> OriginalItemIds => _originalItemIds;
}

/// <summary>Writes a folder atomically: into a temporary sibling, then swapped in with renames.</summary>
internal static class AtomicDirectoryWriter
{
    public static void Write(string directory, Action<string> write)
    {
        var full = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        var tag = Guid.NewGuid().ToString("N")[..8];
        var temp = Path.Combine(parent, $".{Path.GetFileName(full)}.tmp-{tag}");
        var old = Path.Combine(parent, $".{Path.GetFileName(full)}.old-{tag}");
        Directory.CreateDirectory(temp);
        try
        {
            write(temp);
            if (Directory.Exists(full)) Directory.Move(full, old);
            Directory.Move(temp, full);
            if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            if (!Directory.Exists(full) && Directory.Exists(old)) Directory.Move(old, full);
            throw;
        }
    }
}
