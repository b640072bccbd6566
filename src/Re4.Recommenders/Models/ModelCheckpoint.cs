using Re4.Recommenders.Data;
using System.Text.Json;
using Re4.Recommenders.Extractors;
using TorchSharp;
using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace Re4.Recommenders.Models;

/// <summary>
/// A trained model on disk: a folder with <c>model.json</c> (format version and <see cref="ModelConfig"/>), <c>model.bin</c>
/// (TorchSharp weights) and <c>item_ids.bin</c> (numeric ids) or <c>item_keys.bin</c> (text ids): the original id of each
/// dense item id, so results speak the data's ids.
/// Folders are written crash-consistently (<see cref="AtomicDirectoryWriter"/>): a crash at any instant leaves the old
/// model or the new one, complete. A <c>manifest.json</c> records every file's size and XxHash128; loading verifies it and
/// refuses a damaged file by name (folders written before 0.2 have no manifest and load unverified). A model whose
/// weights hold NaN or infinite values is neither saved nor loaded.
/// </summary>
public static class ModelCheckpoint
{
    /// <summary>The configuration file.</summary>
    public const string ConfigFile = "model.json";

    /// <summary>The weights file.</summary>
    public const string WeightsFile = "model.bin";

    /// <summary>The item id map file.</summary>
    public const string ItemIdsFile = ItemIdMapFile.NumericFile;

    /// <summary>The item id map file of a model whose item ids are text (format 3); numeric ids stay in <see cref="ItemIdsFile"/>.</summary>
    public const string ItemKeysFile = ItemIdMapFile.TextFile;

    // Format 2 names the encoder by its registry name with its options; format 1 (a "kind" enum name and a self-attentive
    // flavour) is still read, by ModelConfigJsonConverter. Format 3 adds text item ids (item_keys.bin); a numeric model
    // is still written as format 2, byte for byte as before, so older libraries keep reading it.
    private const int FormatVersion = 3;

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Saves a model and its numeric item id map (index = dense id; index 0 unused) into <paramref name="directory"/>.</summary>
    /// <exception cref="ArgumentException">The id map's length is not N + 1, or a weight of the model is NaN or infinite
    /// (a diverged model is never saved).</exception>
    public static void Save(string directory, MultiInterestModel model, ReadOnlySpan<long> originalItemIds)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(model);
        if (originalItemIds.Length != model.Config.ItemCount + 1)
            throw new ArgumentException($"originalItemIds must have N + 1 = {model.Config.ItemCount + 1} entries; it has {originalItemIds.Length}.", nameof(originalItemIds));
        Save(directory, model, IdMap.Numeric(originalItemIds[1..].ToArray(), firstIndex: 1));
    }

    /// <summary>Saves a model with the item ids of the data set it was trained on (after preparation: the same dense ids).</summary>
    /// <exception cref="ArgumentException">The data set has another number of items than the model.</exception>
    public static void Save(string directory, MultiInterestModel model, SequenceDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        Save(directory, model, dataset.ItemIds);
    }

    /// <summary>Saves a model and its item id map (numbers or text; dense ids 1..N) into <paramref name="directory"/>.</summary>
    /// <exception cref="ArgumentException">The map does not hold one id per item of the model, from dense id 1, or a weight
    /// of the model is NaN or infinite (a diverged model is never saved).</exception>
    public static void Save(string directory, MultiInterestModel model, IdMap itemIds)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(itemIds);
        if (itemIds.FirstIndex != 1 || itemIds.Count != model.Config.ItemCount)
            throw new ArgumentException($"itemIds must map the model's items 1..{model.Config.ItemCount}; it maps {itemIds.FirstIndex}..{itemIds.FirstIndex + itemIds.Count - 1}.", nameof(itemIds));
        if (WeightChecks.FirstNonFinite(model) is { } bad)
            throw new ArgumentException($"The model's weight '{bad}' holds NaN or infinite values (training diverged); it is not saved to {directory}.", nameof(model));
        AtomicDirectoryWriter.Write(directory, temp => WriteFiles(temp, model, itemIds));
    }

    internal static void WriteFiles(string directory, MultiInterestModel model, IdMap itemIds)
    {
        var document = new CheckpointDocument(ItemIdMapFile.FormatFor(itemIds), typeof(ModelCheckpoint).Assembly.GetName().Version?.ToString() ?? "0", model.Config);
        File.WriteAllText(Path.Combine(directory, ConfigFile), JsonSerializer.Serialize(document, Json));
        model.save(Path.Combine(directory, WeightsFile));
        ItemIdMapFile.Write(directory, itemIds);
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
        // A crash between the two renames of a save leaves the previous model as .model.old: Load reads it from there.
        if (File.Exists(Path.Combine(AtomicDirectoryWriter.Readable(nested), ConfigFile))) return nested;
        throw new InvalidDataException($"{path} holds no model: expected {ConfigFile} there or in its {Training.MultiInterestTrainer.ModelFolder}/ folder.");
    }

    /// <summary>Loads a model saved by <see cref="Save(string, MultiInterestModel, IdMap)"/> (its folder, or a training run's
    /// folder holding it in <c>model/</c>), onto <paramref name="device"/> (CPU by default). Its encoder is
    /// built by name from <see cref="EncoderRegistry"/>. The caller owns the result: dispose it to free the weights.</summary>
    /// <exception cref="InvalidDataException">A file is missing, truncated, damaged (its checksum differs from the manifest's)
    /// or of an unknown format version, a weight is NaN or infinite, or the model's encoder is not registered (register it,
    /// or load it with the overload that builds the extractor).</exception>
    public static LoadedModel Load(string directory, Device? device = null) => Load(directory, null, device);

    /// <summary>Loads a model, building the extractor of an encoder the registry does not know (a model trained around an
    /// extractor instance of your own) with <paramref name="createExtractor"/> from the saved configuration; registered
    /// encoders ignore it. The caller owns the result: dispose it to free the weights.</summary>
    /// <exception cref="InvalidDataException">A file is missing, truncated, damaged (its checksum differs from the manifest's)
    /// or of an unknown format version, a weight is NaN or infinite, or the encoder is unknown and
    /// <paramref name="createExtractor"/> is null.</exception>
    public static LoadedModel Load(string directory, Func<ModelConfig, InterestExtractor>? createExtractor, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        // The folder itself (or the previous copy a crash between the two renames of a save left), else a training run's
        // folder holding one in model/, as the service and the CLI accept.
        var readable = AtomicDirectoryWriter.Readable(directory);
        directory = File.Exists(Path.Combine(readable, ConfigFile)) ? readable : AtomicDirectoryWriter.Readable(FindModelDirectory(directory));
        FolderManifest.Verify(directory);
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
        // Before anything is allocated for it: the item table alone, (N + 1) × d floats, must fit in the weights file, so
        // a model.json edited to an absurd N or d (a folder without a manifest is not verified) fails here, not in an
        // allocation of terabytes.
        var tableBytes = ((long)Math.Max(0, config.ItemCount) + 1) * Math.Max(0, config.Dimension) * sizeof(float);
        var weightBytes = new FileInfo(weights).Length;
        if (tableBytes > weightBytes)
            throw new InvalidDataException($"{configPath} describes {config.ItemCount} items of dimension {config.Dimension} ({tableBytes} bytes of item table), but {weights} holds only {weightBytes} bytes.");
        var ids = ItemIdMapFile.Read(directory, config.ItemCount);
        var model = EncoderRegistry.TryGet(config.Encoder, out _) ? new MultiInterestModel(config)
            : createExtractor is not null ? new MultiInterestModel(config, createExtractor(config))
            : throw new InvalidDataException($"{configPath}: the model's encoder '{config.Encoder}' is not registered. Register its {nameof(EncoderDescriptor)} with {nameof(EncoderRegistry)}.{nameof(EncoderRegistry.Register)}, or, for an extractor instance of your own, load it with ModelCheckpoint.Load(directory, config => yourExtractor).");
        try
        {
            model.LoadWeights(weights);
            if (WeightChecks.FirstNonFinite(model) is { } bad)
                throw new InvalidDataException($"{weights}: the weight '{bad}' holds NaN or infinite values (a diverged model); it is not loaded.");
        }
        catch (EndOfStreamException e)
        {
            model.Dispose();
            throw new InvalidDataException($"{weights} is truncated.", e);
        }
        catch (Exception e) when (e is not InvalidDataException and not OutOfMemoryException)
        {
            // Damaged bytes reach TorchSharp's reader as absurd sizes or types (a folder without a manifest is not checked first).
            model.Dispose();
            throw new InvalidDataException($"{weights} is damaged: {e.Message.Split('\n')[0]}", e);
        }
        catch
        {
            model.Dispose();
            throw;
        }

        try
        {
            // Outside the reading above: a device failure (no CUDA) is not a damaged file.
            if (device is not null) model.to(device);
        }
        catch
        {
            model.Dispose();
            throw;
        }

        model.eval();
        return new LoadedModel(model, ids);
    }

    private sealed record CheckpointDocument(int Format, string Library, ModelConfig? Config);
}
