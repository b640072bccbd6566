using Re4.Recommenders.Data;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Cli;

/// <summary>Model names and checkpoints as the command line spells them.</summary>
internal static class CliModels
{
    /// <summary>The registered encoders by their command-line names (each descriptor's <see cref="EncoderDescriptor.CliName"/>).</summary>
    public static readonly IReadOnlyDictionary<string, EncoderDescriptor> Kinds = EncoderRegistry.All.ToDictionary(d => d.CliName);

    /// <summary>The command-line name of the encoder registered as <paramref name="encoder"/> (the registry name itself
    /// for an encoder the registry does not know).</summary>
    public static string Name(string encoder) => EncoderRegistry.TryGet(encoder, out var d) ? d.CliName : encoder;

    /// <summary>The report name of a trained model: its preset label, else its encoder.</summary>
    public static string Name(ModelConfig config) => config.Label ?? Name(config.Encoder);

    /// <summary>Loads a checkpoint from a run folder (<c>DIR/model</c>) or a model folder, and checks that the data set
    /// numbers its items as the model does (same data, same filter).</summary>
    public static LoadedModel LoadCheckpoint(string path, SequenceDataset? dataset, Device device)
    {
        LoadedModel loaded;
        try
        {
            loaded = ModelCheckpoint.Load(path, device);   // a model folder or a run folder
        }
        catch (InvalidDataException e)
        {
            throw new InvalidOperationException(e.Message, e);
        }

        if (dataset is not null)
        {
            var config = loaded.Model.Config;
            if (config.ItemCount != dataset.ItemCount)
                throw new InvalidOperationException($"the checkpoint's model knows {config.ItemCount} items but the data set has {dataset.ItemCount}: give the data, --format and --filter it was trained with");
            for (var i = 1; i <= config.ItemCount; i++)
            {
                if (loaded.ItemIds[i] != dataset.ItemIds[i])
                    throw new InvalidOperationException($"the checkpoint numbers its items differently from this data set (item {i} is {loaded.ItemIds[i]} there, {dataset.ItemIds[i]} here): give the data and --filter it was trained with");
            }
        }

        return loaded;
    }
}
