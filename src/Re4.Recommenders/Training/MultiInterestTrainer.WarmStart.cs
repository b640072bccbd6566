using System.Text.Json;
using Microsoft.Extensions.Logging;
using Re4.Recommenders.Data;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using static TorchSharp.torch;

namespace Re4.Recommenders.Training;

public sealed partial class MultiInterestTrainer
{
    /// <summary>How the items of a warm-started trainer were matched to its checkpoint's; null for a trainer built otherwise.</summary>
    public WarmStartReport? WarmStartReport { get; private set; }

    /// <summary>Starts training from a previous model on new data (new interactions, new items): the items the checkpoint
    /// knows, matched by original id, keep their embeddings; items new to it get rows initialised as a fresh model's
    /// (<see cref="ModelConfig.ItemInitialization"/>, from torch's generator seeded with <see cref="TrainerOptions.Seed"/>);
    /// items the new data no longer has are dropped; the extractor's weights are copied. The objective's own modules, Adam's
    /// state and the early-stopping counters start afresh (this is a new run, not a resumed one: see <see cref="Resume"/>).</summary>
    /// <param name="checkpoint">The previous model (e.g. <see cref="ModelCheckpoint.Load(string, Device?)"/>); only read, the
    /// caller still owns and disposes it.</param>
    /// <param name="split">The new data's split; the model's item ids are its data set's.</param>
    /// <param name="config">The architecture the caller expects, checked against the checkpoint's (encoder, K, d, L, history
    /// order, initialisation and the encoder's options); null takes the checkpoint's. Its item count is ignored.</param>
    /// <param name="options">Training options (validated here); null for the defaults.</param>
    /// <param name="logger">Where progress is logged; null for none.</param>
    /// <param name="device">Where to train (CPU when null).</param>
    /// <exception cref="ArgumentException"><paramref name="config"/> differs from the checkpoint's architecture (the message
    /// and <see cref="ArgumentException.ParamName"/> name the option), or the checkpoint's encoder is not registered.</exception>
    public static MultiInterestTrainer WarmStart(LoadedModel checkpoint, DataSplit split, ModelConfig? config = null, TrainerOptions? options = null,
        ILogger? logger = null, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(split);
        var previous = checkpoint.Model.Config;
        if (!EncoderRegistry.TryGet(previous.Encoder, out _))
            throw new ArgumentException($"The checkpoint's encoder '{previous.Encoder}' is not registered: register its {nameof(EncoderDescriptor)} to warm-start from it.", nameof(checkpoint));
        if (config is not null) CheckSameArchitecture(previous, config);
        options ??= new TrainerOptions();
        options.Validate();
        var newConfig = previous with { ItemCount = split.Dataset.ItemCount, Label = config?.Label ?? previous.Label };

        // Seeded as the trainer seeds a model it builds itself: new rows are those a fresh model of this seed would have.
        manual_seed(options.Seed);
        var model = new MultiInterestModel(newConfig);
        WarmStartReport report;
        try
        {
            report = CopyWeights(checkpoint, model, split.Dataset.ItemIds);
        }
        catch
        {
            model.Dispose();
            throw;
        }

        var trainer = new MultiInterestTrainer(split, model, newConfig, null, options, logger, device);
        trainer.WarmStartReport = report;
        return trainer;
    }

    /// <summary>Copies the rows of the items both know and the whole extractor from the checkpoint into the new model.</summary>
    private static WarmStartReport CopyWeights(LoadedModel checkpoint, MultiInterestModel model, IdMap newIds)
    {
        var oldIds = checkpoint.ItemIds;
        var bothNumeric = oldIds.IsNumeric && newIds.IsNumeric;
        var newRows = new List<long>();
        var oldRows = new List<long>();
        for (var item = 1; item <= newIds.Count; item++)
        {
            // Compared as the data's ids: numbers as numbers, otherwise as text (a number's text finds the number).
            var found = bothNumeric ? oldIds.TryGetIndex(newIds.GetNumber(item), out var old) : oldIds.TryGetIndex(newIds[item], out old);
            if (!found) continue;
            newRows.Add(item);
            oldRows.Add(old);
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var target = model.ItemEmbeddings;
        if (newRows.Count > 0)
        {
            var source = checkpoint.Model.ItemEmbeddings.detach().to(target.device);
            var rows = source.index_select(0, tensor(oldRows.ToArray(), device: target.device));
            target.index_copy_(0, tensor(newRows.ToArray(), device: target.device), rows);
        }

        var from = checkpoint.Model.Extractor.state_dict();
        foreach (var (name, tensor) in model.Extractor.state_dict())
        {
            if (!from.TryGetValue(name, out var value) || !value.shape.SequenceEqual(tensor.shape))
                throw new ArgumentException($"The checkpoint's extractor has no tensor '{name}' of shape [{string.Join(", ", tensor.shape)}]: it is not the architecture its configuration describes.", nameof(checkpoint));
            tensor.copy_(value.detach().to(tensor.device));
        }

        return new WarmStartReport(newRows.Count, newIds.Count - newRows.Count, oldIds.Count - newRows.Count);
    }

    /// <summary>Refuses a configuration whose architecture differs from the checkpoint's, naming the first option that does.</summary>
    private static void CheckSameArchitecture(ModelConfig previous, ModelConfig config)
    {
        config.Validate();
        if (!string.Equals(config.Encoder, previous.Encoder, StringComparison.Ordinal))
            throw Mismatch(nameof(ModelConfig.Encoder), previous.Encoder, config.Encoder);
        if (config.EffectiveInterests != previous.EffectiveInterests) throw Mismatch(nameof(ModelConfig.Interests), previous.EffectiveInterests, config.EffectiveInterests);
        if (config.Dimension != previous.Dimension) throw Mismatch(nameof(ModelConfig.Dimension), previous.Dimension, config.Dimension);
        if (config.MaxLength != previous.MaxLength) throw Mismatch(nameof(ModelConfig.MaxLength), previous.MaxLength, config.MaxLength);
        if (config.ReverseHistory != previous.ReverseHistory) throw Mismatch(nameof(ModelConfig.ReverseHistory), previous.ReverseHistory, config.ReverseHistory);
        if (config.ItemInitialization != previous.ItemInitialization)
            throw Mismatch(nameof(ModelConfig.ItemInitialization), previous.ItemInitialization, config.ItemInitialization);

        // The encoder's options, resolved as a model built from the configuration would resolve them, compared field by field.
        EncoderRegistry.TryGet(config.Encoder, out var encoder);
        var wanted = Serialize(encoder!.ResolveOptions(config with { ItemCount = previous.ItemCount }));
        var had = Serialize(previous.EncoderOptions);
        foreach (var (name, value) in had)
        {
            var now = wanted.GetValueOrDefault(name);
            if (now != value) throw Mismatch($"{nameof(ModelConfig.EncoderOptions)}.{name}", value, now);
        }

        foreach (var (name, value) in wanted)
        {
            if (!had.ContainsKey(name)) throw Mismatch($"{nameof(ModelConfig.EncoderOptions)}.{name}", null, value);
        }
    }

    private static Dictionary<string, string> Serialize(object? options)
    {
        if (options is null) return [];
        using var document = JsonDocument.Parse(JsonSerializer.Serialize(options, options.GetType()));
        return document.RootElement.ValueKind == JsonValueKind.Object
            ? document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetRawText())
            : new Dictionary<string, string> { ["value"] = document.RootElement.GetRawText() };
    }

    private static ArgumentException Mismatch(string option, object? checkpoint, object? given) =>
        new($"{option} = {given ?? "(none)"} differs from the checkpoint's {option} = {checkpoint ?? "(none)"}: a warm start keeps the checkpoint's architecture (give the same value, or leave it out).", option);
}
