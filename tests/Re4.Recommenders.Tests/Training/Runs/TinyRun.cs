using Re4.Recommenders.Data;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;

namespace Re4.Recommenders.Tests.Training.Runs;

/// <summary>The tiny, fast run the run-folder tests train: 200 planted-interest users, d = 8, validation every 5 steps.</summary>
internal static class TinyRun
{
    public static readonly Lazy<DataSplit> Split = new(() => SplitOf(seed: 9));

    public static DataSplit SplitOf(int seed)
    {
        var raw = PlantedInterestGenerator.Generate(new SyntheticDataOptions { Users = 200, Items = 120, Topics = 6, MinLength = 6, MaxLength = 12, Seed = seed });
        return DataSplitter.ComiRec(DatasetPreparation.Prepare(raw, DatasetFilter.None), seed: 1, maxLength: 8);
    }

    public static ModelConfig Config(string encoder = ComiRecSaDescriptor.EncoderName) =>
        new() { Encoder = encoder, ItemCount = Split.Value.Dataset.ItemCount, Dimension = 8, Interests = 2, MaxLength = 8 };

    public static TrainerOptions Options(string? checkpoint, long maxSteps = 15, double lr = 0.01) => new()
    {
        BatchSize = 16,
        LearningRate = lr,
        NegativeCount = 32,
        MaxSteps = maxSteps,
        EvaluateEvery = 5,
        Patience = 100,
        Seed = 7,
        CheckpointDirectory = checkpoint,
    };

    /// <summary>The files of a run folder's <c>model/</c> and <c>resume/</c> with their bytes, and anything else in it.</summary>
    public static SortedDictionary<string, byte[]> Snapshot(string run)
    {
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(run, "*", SearchOption.AllDirectories))
            files[Path.GetRelativePath(run, file)] = File.ReadAllBytes(file);
        return files;
    }
}
