using System.Globalization;
using System.Text.Json;
using Re4.Recommenders.Data;
using Re4.Recommenders.Evaluation;

namespace Re4.Cli;

/// <summary>Writes the CLI's result files: <c>metrics.json</c>, <c>split.json</c>, <c>recommendations.tsv</c> (public contract).</summary>
internal sealed class RunReport(string model, SequenceDataset dataset, DataSplit split, DataSource source, bool excludeHistory)
{
    /// <summary>The <c>metrics.json</c> members every run has: the model, the data and split, and both user sets' metrics.</summary>
    public RunMetrics Metrics(IReadOnlyDictionary<string, double> valid, IReadOnlyDictionary<string, double> test) => new()
    {
        Model = model,
        Dataset = dataset.Name,
        Seed = source.Seed,
        SplitSeed = source.SplitSeed,
        Protocol = source.ProtocolName,
        Filter = source.Filter.ToString(),
        MaxLen = source.MaxLength,
        ExcludeHistory = excludeHistory,
        Users = new UserCounts(split.TrainCount, split.Valid.Count, split.Test.Count),
        Items = dataset.ItemCount,
        Interactions = dataset.InteractionCount,
        Valid = valid,
        Test = test,
    };

    public void WriteSplit(string path) =>
        AtomicFile.Write(path, stream =>
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false });
            w.WriteStartObject();
            w.WriteStartArray("train");
            for (var i = 0; i < split.TrainCount; i++) JsonIds.WriteValue(w, dataset.UserIds, split.TrainUser(i));
            w.WriteEndArray();
            WriteUsers(w, "valid", split.Valid);
            WriteUsers(w, "test", split.Test);
            w.WriteEndObject();
        });

    public void WriteRecommendations(string path, EvaluationSet users, EvaluationResult result)
    {
        var recs = result.Recommendations ?? throw new InvalidOperationException("The evaluation did not keep its recommendations.");
        AtomicFile.WriteText(path, w =>
        {
            for (var i = 0; i < users.Count; i++)
            {
                w.Write(dataset.UserIds[users.User(i)]);
                w.Write('\t');
                var first = true;
                for (var r = 0; r < result.TopN; r++)
                {
                    var item = recs[i * result.TopN + r];
                    if (item == 0) break;
                    if (!first) w.Write(' ');
                    w.Write(dataset.ItemIds[item]);
                    first = false;
                }

                w.Write('\n');
            }
        });
    }

    /// <param name="validationUsers">How many validation users <paramref name="valid"/> is over, when fewer than the split's
    /// (<c>--valid-users</c>); null for all of them.</param>
    public void PrintSummary(TextWriter output, IReadOnlyDictionary<string, double> valid, IReadOnlyDictionary<string, double> test, int? validationUsers = null)
    {
        output.WriteLine($"{model} on {dataset.Name} ({source.ProtocolName} protocol, seed {source.Seed}): {dataset.UserCount} users, {dataset.ItemCount} items, {dataset.InteractionCount} interactions");
        var sample = validationUsers is { } sampled && sampled < split.Valid.Count ? $" (valid metrics over {sampled} of them, --valid-users)" : string.Empty;
        output.WriteLine($"users: {split.TrainCount} train, {split.Valid.Count} valid, {split.Test.Count} test{sample}");
        var header = $"{"split",-6} {"N",3} {"recall",8} {"recall_set",10} {"hitrate",8} {"ndcg",8} {"ndcg_comirec",12} {"ndcg_paper",10}";
        output.WriteLine(header);
        output.WriteLine(new string('-', header.Length));
        foreach (var (name, r) in new[] { ("valid", valid), ("test", test) })
        {
            foreach (var n in EvaluateCommand.Cutoffs)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name,-6} {n,3} {r[MetricNames.Recall(n)],8:F4} {r[MetricNames.RecallSet(n)],10:F4} {r[MetricNames.HitRate(n)],8:F4} {r[MetricNames.Ndcg(n)],8:F4} {r[MetricNames.NdcgComiRec(n)],12:F4} {r[MetricNames.NdcgComiRecPaper(n)],10:F4}"));
            }
        }
    }

    private void WriteUsers(Utf8JsonWriter w, string name, EvaluationSet set)
    {
        w.WriteStartArray(name);
        for (var i = 0; i < set.Count; i++) JsonIds.WriteValue(w, dataset.UserIds, set.User(i));
        w.WriteEndArray();
    }
}
