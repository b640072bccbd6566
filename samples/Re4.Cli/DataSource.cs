using Microsoft.Extensions.Logging;
using Re4.Recommenders.Data;

namespace Re4.Cli;

/// <summary>The options every data-consuming verb shares, and the pipeline they drive: load, filter, split.</summary>
internal sealed record DataSource(string Data, InteractionReader? Format, DatasetFilter Filter, SplitProtocol Protocol, int Seed, int SplitSeed, int MaxLength)
{
    public const string Synthetic = "synthetic";

    /// <summary>"auto" (null: detect) and the built-in readers by their own names.</summary>
    public static readonly IReadOnlyDictionary<string, InteractionReader?> Formats =
        InteractionReaderRegistry.BuiltIn.Readers.Aggregate(new Dictionary<string, InteractionReader?> { ["auto"] = null }, (d, r) => { d.Add(r.Name, r); return d; });

    public static readonly IReadOnlyDictionary<string, SplitProtocol> Protocols = new Dictionary<string, SplitProtocol>
    {
        ["comirec"] = SplitProtocol.ComiRec,
        ["leave-one-out"] = SplitProtocol.LeaveOneOut,
    };

    public string ProtocolName => Protocols.First(p => p.Value == Protocol).Key;

    public bool IsSynthetic => string.Equals(Data, Synthetic, StringComparison.OrdinalIgnoreCase);

    /// <summary>For the synthetic data, the planted topic of a dense item id (for diagnostics); null for real data.</summary>
    public Func<int, int>? TopicOf(SequenceDataset dataset)
    {
        if (!IsSynthetic) return null;
        var topics = new SyntheticDataOptions().Topics;
        return item => PlantedInterestGenerator.TopicOf(dataset.OriginalItemId(item), topics);
    }

    /// <summary>Refuses a split without validation or test users: their metrics would read 0 where there is nothing to
    /// measure (a model selected on no users, a test of nobody). Too few users, or a filter that left too few.</summary>
    public static void RequireEvaluationUsers(DataSplit split)
    {
        ArgumentNullException.ThrowIfNull(split);
        foreach (var (set, count) in new[] { ("validation", split.Valid.Count), ("test", split.Test.Count) })
        {
            if (count == 0)
                throw new InvalidOperationException(
                    $"the split has no {set} users ({split.TrainCount} training, {split.Valid.Count} validation, {split.Test.Count} test users; {split.SkippedEvaluationUsers} skipped for an empty history or ground truth): nothing to measure; use more data or a looser --filter");
        }
    }

    public (SequenceDataset Dataset, DataSplit Split) Load(ILogger logger)
    {
        SequenceDataset raw;
        if (IsSynthetic)
        {
            logger.LogInformation("Generating the planted-interest synthetic data set");
            raw = PlantedInterestGenerator.Generate(new SyntheticDataOptions());
        }
        else
        {
            // "folder/file" names a data set better than the file alone (MovieLens' file is just "u.data").
            var full = Path.GetFullPath(Data);
            var name = $"{Path.GetFileName(Path.GetDirectoryName(full))}/{Path.GetFileName(full)}";
            raw = InteractionFileReader.Load(Data, new LoadOptions { Reader = Format, Logger = logger, Name = name });
        }

        var dataset = DatasetPreparation.Prepare(raw, Filter, logger);
        var split = DataSplitter.Split(dataset, Protocol, SplitSeed, MaxLength);
        logger.LogInformation("Split ({Protocol}): {Train} training, {Valid} validation, {Test} test users; {Skipped} evaluation users skipped (empty history or ground truth)",
            ProtocolName, split.TrainCount, split.Valid.Count, split.Test.Count, split.SkippedEvaluationUsers);
        return (dataset, split);
    }
}
