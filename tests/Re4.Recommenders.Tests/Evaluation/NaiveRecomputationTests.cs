using System.Globalization;
using System.Text;
using System.Text.Json;
using Re4.Recommenders.Baselines;
using Re4.Recommenders.Data;
using Re4.Recommenders.Evaluation;

namespace Re4.Recommenders.Tests.Evaluation;

/// <summary>
/// End-to-end and independent: runs <c>re4 evaluate --model most-popular ... --dump</c> in-process on MovieLens-100k,
/// then recomputes every test metric with a deliberately naive implementation written here from the specification
/// (docs/evaluation.md) and the CLI contract, sharing no code with the library: its own parsing of u.data, its own
/// stable time sort, its own ComiRec filter, its own ground truth from split.json, its own popularity ranking and its
/// own metric formulas.
/// </summary>
/// <remarks>The CLI's entry point is reached through reflection (<c>Re4.Cli.Program, re4</c>) so that this file compiles
/// before the CLI exists; until then the test fails with a message saying so.</remarks>
public sealed class NaiveRecomputationTests
{
    private const int Seed = 20240611;

    [Theory]
    [InlineData("comirec")]
    [InlineData("leave-one-out")]
    public void CliEvaluate_WritesMostPopularTestMetricsEqualToANaiveRecomputation(string protocol)
    {
        var data = TestPaths.Dataset(Path.Combine("movielens-100k", "u.data"));
        File.Exists(data).Should().BeTrue($"{data} is needed");
        using var tmp = new TempDir();
        var outDir = Path.Combine(tmp.Path, "out");
        string[] args =
        [
            "evaluate", "--data", data, "--model", "most-popular", "--protocol", protocol, "--filter", "comirec",
            "--seed", Seed.ToString(CultureInfo.InvariantCulture), "--max-len", "20", "--out", outDir, "--dump",
        ];
        // Program.Run, not Main: Main also sets process-wide native settings (OpenMP, the allocator) other tests measure.
        var (rc, _, err) = Re4.Recommenders.Tests.Cli.CliRunner.Run(args);
        rc.Should().Be(0, $"re4 evaluate must succeed: {err}");

        VerifyOutputs(data, protocol, outDir);
    }

    /// <summary>The same naive verification, today, without the CLI: the library pipeline (loader, ComiRec filter,
    /// split, MostPopular, evaluator) writes the three files of the CLI contract itself. This checks the verifier
    /// against the library and the library against the naive recomputation; the CLI test above adds the CLI's wiring.</summary>
    [Theory]
    [InlineData("comirec")]
    [InlineData("leave-one-out")]
    public void LibraryPipeline_WritesTheCliContractEqualToTheNaiveRecomputation(string protocol)
    {
        var data = TestPaths.Dataset(Path.Combine("movielens-100k", "u.data"));
        using var tmp = new TempDir();
        var ds = DatasetPreparation.Prepare(InteractionFileReader.Load(data), DatasetFilter.ComiRec());
        var split = DataSplitter.Split(ds, protocol == "comirec" ? SplitProtocol.ComiRec : SplitProtocol.LeaveOneOut, Seed, 20);
        var rec = new MostPopularRecommender(split);
        var test = RetrievalEvaluator.Evaluate(rec, split.Test, new EvaluationOptions { KeepRecommendations = true });
        var valid = RetrievalEvaluator.Evaluate(rec, split.Valid, new EvaluationOptions());
        long[] Ids(EvaluationSet s) => Enumerable.Range(0, s.Count).Select(i => ds.OriginalUserId(s.User(i))).ToArray();
        var trainIds = Enumerable.Range(0, split.TrainCount).Select(i => ds.OriginalUserId(split.TrainUser(i))).ToArray();
        File.WriteAllText(Path.Combine(tmp.Path, "split.json"),
            JsonSerializer.Serialize(new { train = trainIds, valid = Ids(split.Valid), test = Ids(split.Test) }));
        File.WriteAllText(Path.Combine(tmp.Path, "metrics.json"), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["model"] = rec.Name,
            ["dataset"] = "movielens-100k",
            ["seed"] = Seed,
            ["protocol"] = protocol,
            ["users"] = new { train = split.TrainCount, valid = split.Valid.Count, test = split.Test.Count },
            ["items"] = ds.ItemCount,
            ["valid"] = valid.Metrics,
            ["test"] = test.Metrics,
        }));
        var tsv = new StringBuilder();
        for (var u = 0; u < split.Test.Count; u++)
        {
            var items = test.Recommendations!.Skip(u * test.TopN).Take(test.TopN).Where(i => i != 0).Select(i => ds.OriginalItemId(i));
            tsv.Append(ds.OriginalUserId(split.Test.User(u)).ToString(CultureInfo.InvariantCulture)).Append('\t').AppendLine(string.Join(' ', items));
        }

        File.WriteAllText(Path.Combine(tmp.Path, "recommendations.tsv"), tsv.ToString());
        VerifyOutputs(data, protocol, tmp.Path);
    }

    /// <summary>Checks the three files the CLI wrote to <paramref name="outDir"/> against the naive recomputation.</summary>
    internal static void VerifyOutputs(string data, string protocol, string outDir)
    {
        var metricsPath = Path.Combine(outDir, "metrics.json");
        var splitPath = Path.Combine(outDir, "split.json");
        var recsPath = Path.Combine(outDir, "recommendations.tsv");
        File.Exists(metricsPath).Should().BeTrue();
        File.Exists(splitPath).Should().BeTrue();
        File.Exists(recsPath).Should().BeTrue();

        // ---------- naive data preparation ----------
        var naive = NaiveData.Load(data);

        // ---------- split.json ----------
        using var splitDoc = JsonDocument.Parse(File.ReadAllText(splitPath));
        var train = ReadIds(splitDoc.RootElement.GetProperty("train"));
        var valid = ReadIds(splitDoc.RootElement.GetProperty("valid"));
        var test = ReadIds(splitDoc.RootElement.GetProperty("test"));
        var allUsers = naive.Sequences.Keys.ToHashSet();
        train.Should().OnlyHaveUniqueItems();
        valid.Should().OnlyHaveUniqueItems();
        test.Should().OnlyHaveUniqueItems();
        test.Should().NotBeEmpty();

        if (protocol == "comirec")
        {
            // Disjoint, covering every filtered user, 80/10/10 by floor (no user is skipped: every kept user has
            // >= 5 items, so floor(0.8·len) is in 1..len-1).
            train.Intersect(valid).Should().BeEmpty();
            train.Intersect(test).Should().BeEmpty();
            valid.Intersect(test).Should().BeEmpty();
            train.Concat(valid).Concat(test).Should().BeEquivalentTo(allUsers);
            var u = allUsers.Count;
            train.Should().HaveCount(u * 8 / 10);
            valid.Should().HaveCount(u / 10);
            test.Should().HaveCount(u - u * 8 / 10 - u / 10);
        }
        else
        {
            // Leave-one-out: every user (all have >= 3 items after the filter) trains on its prefix and is validated
            // and tested; valid and test are the same users by design.
            train.Should().BeEquivalentTo(allUsers);
            valid.Should().BeEquivalentTo(allUsers);
            test.Should().BeEquivalentTo(allUsers);
        }

        // ---------- naive ground truth of the test users ----------
        var truth = new Dictionary<long, List<long>>();
        foreach (var user in test)
        {
            naive.Sequences.Should().ContainKey(user, "a test user must survive the filter");
            var seq = naive.Sequences[user];
            if (protocol == "comirec")
            {
                var cut = seq.Count * 4 / 5;   // floor(0.8·len), in integers
                truth[user] = seq.Skip(cut).ToList();
            }
            else
            {
                truth[user] = [seq[^1]];
            }
        }

        // ---------- naive MostPopular ----------
        // Training interactions: ComiRec -> the training users' whole sequences; leave-one-out -> every user's
        // sequence but its last two items (users with < 3 items: all of it; none here).
        var trainCounts = new Dictionary<long, long>();
        foreach (var user in train)
        {
            var seq = naive.Sequences[user];
            var take = protocol == "comirec" ? seq.Count : (seq.Count >= 3 ? seq.Count - 2 : seq.Count);
            foreach (var item in seq.Take(take)) trainCounts[item] = trainCounts.GetValueOrDefault(item) + 1;
        }

        // Ties by the lower dense id; dense ids are documented as decreasing frequency over the filtered data set,
        // ties by first appearance in the file.
        var popular = naive.FilteredCounts.Keys
            .OrderByDescending(i => trainCounts.GetValueOrDefault(i))
            .ThenByDescending(i => naive.FilteredCounts[i])
            .ThenBy(i => naive.FirstLine[i])
            .Take(50)
            .ToList();

        // ---------- recommendations.tsv ----------
        var dumped = new Dictionary<long, List<long>>();
        foreach (var line in File.ReadAllLines(recsPath).Where(l => l.Length > 0))
        {
            var parts = line.Split('\t');
            parts.Should().HaveCount(2, $"line '{line}' must be user<TAB>items");
            var user = long.Parse(parts[0], CultureInfo.InvariantCulture);
            dumped.Should().NotContainKey(user, "one line per test user");
            dumped[user] = parts[1].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToList();
        }

        dumped.Keys.Should().BeEquivalentTo(test, "recommendations.tsv has one line per test user");
        foreach (var (user, list) in dumped)
        {
            list.Should().Equal(popular, $"user {user}'s list must be the 50 most frequent training items");
        }

        // Sanity of the naive ranking itself: non-increasing training counts.
        for (var r = 1; r < popular.Count; r++)
            trainCounts.GetValueOrDefault(popular[r]).Should().BeLessThanOrEqualTo(trainCounts.GetValueOrDefault(popular[r - 1]));

        // ---------- naive metrics over all test users, from the naive ranking ----------
        using var metricsDoc = JsonDocument.Parse(File.ReadAllText(metricsPath));
        var root = metricsDoc.RootElement;
        root.GetProperty("model").GetString().Should().Be("most-popular");
        root.GetProperty("seed").GetInt64().Should().Be(Seed);
        root.GetProperty("protocol").GetString().Should().Be(protocol);
        root.GetProperty("items").GetInt64().Should().Be(naive.FilteredCounts.Count);
        var users = root.GetProperty("users");
        users.GetProperty("train").GetInt64().Should().Be(train.Count);
        users.GetProperty("valid").GetInt64().Should().Be(valid.Count);
        users.GetProperty("test").GetInt64().Should().Be(test.Count);

        var testMetrics = root.GetProperty("test");
        foreach (var n in new[] { 20, 50 })
        {
            var top = popular.Take(n).ToList();
            double recall = 0, recallSet = 0, hit = 0, ndcg = 0, ndcgMaster = 0, ndcgPaper = 0;
            foreach (var user in test)
            {
                var m = NaiveUserMetrics(top, truth[user], n);
                recall += m.Recall;
                recallSet += m.RecallSet;
                hit += m.Hit;
                ndcg += m.Ndcg;
                ndcgMaster += m.NdcgMaster;
                ndcgPaper += m.NdcgPaper;
            }

            var count = test.Count;
            Check(testMetrics, $"recall@{n}", recall / count);
            Check(testMetrics, $"recall_set@{n}", recallSet / count);
            Check(testMetrics, $"hitrate@{n}", hit / count);
            Check(testMetrics, $"ndcg@{n}", ndcg / count);
            Check(testMetrics, $"ndcg_comirec@{n}", ndcgMaster / count);
            Check(testMetrics, $"ndcg_comirec_paper@{n}", ndcgPaper / count);
        }

        testMetrics.GetProperty("hitrate@50").GetDouble().Should().BePositive("MostPopular must hit some test users on MovieLens-100k");
    }

    private static void Check(JsonElement metrics, string key, double expected)
    {
        metrics.TryGetProperty(key, out var value).Should().BeTrue($"metrics.json test must contain {key}");
        value.GetDouble().Should().BeApproximately(expected, 1e-9, key);
    }

    /// <summary>The six metrics of docs/evaluation.md for one user, written naively from the text.</summary>
    private static (double Recall, double RecallSet, double Hit, double Ndcg, double NdcgMaster, double NdcgPaper) NaiveUserMetrics(
        List<long> retrieved, List<long> truth, int n)
    {
        var truthSet = new HashSet<long>(truth);
        var retrievedSet = new HashSet<long>(retrieved);

        // HitRate: any retrieved item in T.
        var hit = retrieved.Any(truthSet.Contains) ? 1.0 : 0.0;

        // Recall (ComiRec): h / |T| with duplicates in T, h = positions of T whose item was retrieved.
        var h = truth.Count(retrievedSet.Contains);
        var recall = (double)h / truth.Count;

        // Recall (set): |top ∩ set(T)| / |set(T)|.
        var setHits = retrievedSet.Count(truthSet.Contains);
        var recallSet = (double)setHits / truthSet.Count;

        double Ideal(int count) => Enumerable.Range(0, count).Sum(j => 1.0 / Math.Log(j + 2, 2));

        // comirec-paper: DCG over positions p of T with T_p retrieved; IDCG over h.
        var dcgPaper = 0.0;
        for (var p = 0; p < truth.Count; p++)
            if (retrievedSet.Contains(truth[p])) dcgPaper += 1.0 / Math.Log(p + 2, 2);
        var ndcgPaper = h == 0 ? 0.0 : dcgPaper / Ideal(h);

        // comirec-master: DCG over retrieved ranks; IDCG over the number of hits.
        var dcgRanks = 0.0;
        var rankHits = 0;
        for (var r = 0; r < retrieved.Count; r++)
        {
            if (!truthSet.Contains(retrieved[r])) continue;
            dcgRanks += 1.0 / Math.Log(r + 2, 2);
            rankHits++;
        }

        var ndcgMaster = rankHits == 0 ? 0.0 : dcgRanks / Ideal(rankHits);

        // standard: IDCG over min(|set(T)|, N).
        var ndcg = dcgRanks / Ideal(Math.Min(truthSet.Count, n));
        return (recall, recallSet, hit, ndcg, ndcgMaster, ndcgPaper);
    }

    private static List<long> ReadIds(JsonElement array) =>
        array.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String
            ? long.Parse(e.GetString()!, CultureInfo.InvariantCulture)
            : e.GetInt64()).ToList();

    /// <summary>u.data read with string.Split, sequences sorted stably by timestamp, ComiRec's one-pass filter.</summary>
    private sealed class NaiveData
    {
        public required Dictionary<long, List<long>> Sequences { get; init; }   // filtered, time order

        public required Dictionary<long, long> FilteredCounts { get; init; }     // item -> interactions after the filter

        public required Dictionary<long, int> FirstLine { get; init; }           // item -> first line it appears on

        public static NaiveData Load(string path)
        {
            var rows = new List<(long User, long Item, long Time, int Line)>();
            var lineNo = 0;
            foreach (var line in File.ReadAllLines(path))
            {
                lineNo++;
                if (line.Trim().Length == 0) continue;
                var f = line.Split('\t');
                rows.Add((long.Parse(f[0], CultureInfo.InvariantCulture), long.Parse(f[1], CultureInfo.InvariantCulture),
                    long.Parse(f[3], CultureInfo.InvariantCulture), lineNo));
            }

            var firstLine = new Dictionary<long, int>();
            foreach (var r in rows) firstLine.TryAdd(r.Item, r.Line);

            // Items with >= 5 interactions (one pass), then users with >= 5 remaining interactions.
            var itemCounts = rows.GroupBy(r => r.Item).ToDictionary(g => g.Key, g => g.Count());
            var kept = rows.Where(r => itemCounts[r.Item] >= 5).ToList();
            var userCounts = kept.GroupBy(r => r.User).ToDictionary(g => g.Key, g => g.Count());
            kept = kept.Where(r => userCounts[r.User] >= 5).ToList();

            // Per user, stable sort by timestamp (LINQ OrderBy is stable: ties keep file order).
            var sequences = kept.GroupBy(r => r.User).ToDictionary(
                g => g.Key,
                g => g.OrderBy(r => r.Time).Select(r => r.Item).ToList());
            var filteredCounts = kept.GroupBy(r => r.Item).ToDictionary(g => g.Key, g => (long)g.Count());
            return new NaiveData { Sequences = sequences, FilteredCounts = filteredCounts, FirstLine = firstLine };
        }
    }
}
