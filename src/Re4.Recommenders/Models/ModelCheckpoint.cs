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

    // Format 2 names the encoder by its registry name with its options; format 1 (a "kind" enum name and a self-attentive
    // flavour) is still read, by ModelConfigJsonConverter.
    private const int FormatVersion = 2;
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

    /// <summary>Loads a model saved by <see cref="Save"/> (its folder, or a training run's folder holding it in
    /// <c>model/</c>), onto <paramref name="device"/> (CPU by default). Its encoder is
    /// built by name from <see cref="EncoderRegistry"/>. The caller owns the result: dispose it to free the weights.</summary>
    /// <exception cref="InvalidDataException">A file is missing, truncated or of an unknown format version, or the model's
    /// encoder is not registered (register it, or load it with the overload that builds the extractor).</exception>
    public static LoadedModel Load(string directory, Device? device = null) => Load(directory, null, device);

    /// <summary>Loads a model, building the extractor of an encoder the registry does not know (a model trained around an
    /// extractor instance of your own) with <paramref name="createExtractor"/> from the saved configuration; registered
    /// encoders ignore it. The caller owns the result: dispose it to free the weights.</summary>
    /// <exception cref="InvalidDataException">A file is missing, truncated or of an unknown format version, or the encoder is
    /// unknown and <paramref name="createExtractor"/> is null.</exception>
    public static LoadedModel Load(string directory, Func<ModelConfig, InterestExtractor>? createExtractor, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        directory = FindModelDirectory(directory);   // a training run's folder is accepted too, as the service and CLI do
        var configPath = Path.Combine(directory, ConfigFile);
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

        if (document.Format is < 1 or > FormatVersion)
            throw new InvalidDataException($"{configPath} has checkpoint format {document.Format}; this library reads formats 1 to {FormatVersion}.");
        var config = document.Config ?? throw new InvalidDataException($"{configPath} has no config.");
        var weights = Path.Combine(directory, WeightsFile);
        if (!File.Exists(weights)) throw new InvalidDataException($"{directory}: {WeightsFile} is missing.");
        var ids = ReadIds(Path.Combine(directory, ItemIdsFile), config.ItemCount);
        var model = EncoderRegistry.TryGet(config.Encoder, out _) ? new MultiInterestModel(config)
            : createExtractor is not null ? new MultiInterestModel(config, createExtractor(config))
            : throw new InvalidDataException($"{configPath}: the model's encoder '{config.Encoder}' is not registered. Register its {nameof(EncoderDescriptor)} with {nameof(EncoderRegistry)}.{nameof(EncoderRegistry.Register)}, or, for an extractor instance of your own, load it with ModelCheckpoint.Load(directory, config => yourExtractor).");
        try
        {
            model.LoadWeights(weights);
            if (device is not null) model.to(device);
        }
        catch (EndOfStreamException e)
        {
            model.Dispose();
            throw new InvalidDataException($"{weights} is truncated.", e);
        }
        catch
        {
            model.Dispose();
            throw;
        }

        model.eval();
        return new LoadedModel(model, ids);
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
