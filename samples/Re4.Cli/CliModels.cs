using Re4.Recommenders.Data;
using Re4.Recommenders.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Cli;

/// <summary>Model names and checkpoints as the command line spells them.</summary>
internal static class CliModels
{
    public static readonly IReadOnlyDictionary<string, ModelKind> Kinds = new Dictionary<string, ModelKind>
    {
        ["comirec-sa"] = ModelKind.ComiRecSA,
        ["comirec-dr"] = ModelKind.ComiRecDR,
        ["mind"] = ModelKind.Mind,
        ["youtube-dnn"] = ModelKind.YouTubeDnn,
        ["gru4rec"] = ModelKind.Gru4Rec,
    };

    public static string Name(ModelKind kind) => Kinds.First(k => k.Value == kind).Key;

    /// <summary>The report name of a trained model: its preset label, else its encoder.</summary>
    public static string Name(ModelConfig config) => config.Label ?? Name(config.Kind);

    /// <summary>Loads a checkpoint from a run folder (<c>DIR/model</c>) or a model folder, and checks that the data set
    /// numbers its items as the model does (same data, same filter).</summary>
    public static LoadedModel LoadCheckpoint(string path, SequenceDataset? dataset, Device device)
    {
        LoadedModel loaded;
        try
        {
            loaded = ModelCheckpoint.Load(ModelCheckpoint.FindModelDirectory(path), device);
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
                if (loaded.OriginalItemId(i) != dataset.OriginalItemId(i))
                    throw new InvalidOperationException($"the checkpoint numbers its items differently from this data set (item {i} is {loaded.OriginalItemId(i)} there, {dataset.OriginalItemId(i)} here): give the data and --filter it was trained with");
            }
        }

        return loaded;
    }
}
