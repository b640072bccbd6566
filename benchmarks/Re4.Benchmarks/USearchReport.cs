using System.Diagnostics;
using System.Globalization;
using Re4.Recommenders.Data;
using Re4.Recommenders.Models;
using Re4.Recommenders.Scoring;
using Re4.Recommenders.USearch;

namespace Re4.Benchmarks;

/// <summary>
/// <c>usearch</c>: USearch against the exact managed scorer on one gallery, in one process. Builds (and times) the
/// HNSW graph, then for each batch size (1, 32, 1024 users by default) times both scorers and reports users/s, the
/// per-call p50/p99 latency and the USearch recall@N against the exact top N. The gallery is either synthetic
/// (seeded uniform [−1, 1] items and interests, as <c>re4 bench scoring</c> makes them, or clustered with
/// <c>--topics T</c>) or a trained model's item
/// table with interest vectors of real histories (<c>--checkpoint DIR --data FILE</c>, a sequence-per-line file).
/// Prints a markdown table.
/// </summary>
internal static class USearchReport
{
    public static int Run(string[] args)
    {
        var options = Parse(args);
        var clock = Stopwatch.StartNew();
        var (table, vectors, k, label, excluded) = options.Checkpoint is { } checkpoint
            ? Trained(checkpoint, options.Data ?? throw new ArgumentException("--checkpoint needs --data FILE (the histories)."), options.MaxUsers)
            : Synthetic(options.Items, options.Dim, options.Interests, options.MaxUsers, options.Seed, options.Topics);
        Console.WriteLine($"# {label}: {table.ItemCount:N0} items, d = {table.Dimension}, K = {k}, top {options.Top}, {options.Threads} threads, {vectors.Length / (k * table.Dimension)} query users (made in {clock.Elapsed.TotalSeconds:F1} s); USearch {USearchCandidateScorer.NativeVersion}");
        var exact = new ManagedCandidateScorer(table, options.Threads);
        Console.WriteLine("| scorer | connectivity | expansion_add | expansion_search | build s | users | recall@" + options.Top + " | users/s | p50 ms | p99 ms |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        var exactResults = new Dictionary<int, CandidateResult>();
        foreach (var users in options.Users)
        {
            var (result, perSecond, p50, p99) = Time(exact, vectors, users, k, table.Dimension, options.Top, excluded, options.Seconds);
            exactResults[users] = result;
            Console.WriteLine($"| exact (managed) | | | | | {users} | 1.000 | {perSecond:N1} | {p50:F2} | {p99:F2} |");
        }

        foreach (var connectivity in options.Connectivity)
        {
            clock.Restart();
            var built = USearchCandidateScorer.Build(table, new USearchScorerOptions
            {
                Connectivity = connectivity,
                ExpansionAdd = options.ExpansionAdd,
                ExpansionSearch = options.ExpansionSearch[0],
                Threads = options.Threads,
            });
            var buildSeconds = clock.Elapsed.TotalSeconds;
            var path = Path.Combine(Path.GetTempPath(), $"re4-usearch-bench-{Environment.ProcessId}.index");
            try
            {
                built.Save(path);
                built.Dispose();
                foreach (var ef in options.ExpansionSearch)
                {
                    using var scorer = USearchCandidateScorer.Load(path, table, built.Options with { ExpansionSearch = ef });
                    foreach (var users in options.Users)
                    {
                        var (result, perSecond, p50, p99) = Time(scorer, vectors, users, k, table.Dimension, options.Top, excluded, options.Seconds);
                        var recall = Recall(exactResults[users], result);
                        Console.WriteLine($"| usearch | {connectivity} | {options.ExpansionAdd} | {ef} | {buildSeconds:F1} | {users} | {recall:F3} | {perSecond:N1} | {p50:F2} | {p99:F2} |");
                    }
                }
            }
            finally
            {
                File.Delete(path);
            }
        }

        return 0;
    }

    /// <summary>Runs batches of <paramref name="users"/> users (consecutive slices of the query users, wrapping) for
    /// about <paramref name="seconds"/> seconds after one warm-up call; returns the first slice's result, users/s and the
    /// p50/p99 call latency in ms.</summary>
    private static (CandidateResult First, double UsersPerSecond, double P50, double P99) Time(ICandidateScorer scorer, float[] vectors, int users, int k, int d,
        int top, HistoryBatch? excluded, double seconds)
    {
        var available = vectors.Length / (k * d);
        CandidateQuery Slice(int call)
        {
            var first = (int)((long)call * users % Math.Max(1, available - users + 1));
            HistoryBatch? exclude = excluded is { } e ? Rows(e, first, users) : null;
            return new CandidateQuery(vectors.AsMemory(first * k * d, users * k * d), users, k, exclude);
        }

        var result = scorer.Retrieve(Slice(0), top);
        var latencies = new List<double>();
        var total = Stopwatch.StartNew();
        for (var call = 1; total.Elapsed.TotalSeconds < seconds || latencies.Count < 3; call++)
        {
            var query = Slice(call);
            var watch = Stopwatch.StartNew();
            scorer.Retrieve(query, top);
            latencies.Add(watch.Elapsed.TotalMilliseconds);
        }

        latencies.Sort();
        var perSecond = latencies.Count * users / (latencies.Sum() / 1000);
        return (result, perSecond, Percentile(latencies, 0.50), Percentile(latencies, 0.99));
    }

    private static HistoryBatch Rows(HistoryBatch batch, int first, int count)
    {
        var rows = new int[count][];
        for (var i = 0; i < count; i++) rows[i] = batch[first + i].ToArray();
        return HistoryBatch.FromHistories(rows);
    }

    private static double Percentile(List<double> sorted, double q) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];

    /// <summary>Mean over users of |approximate ∩ exact| / |exact| (the exact list's filled slots).</summary>
    internal static double Recall(CandidateResult exact, CandidateResult approximate)
    {
        double sum = 0;
        for (var user = 0; user < exact.UserCount; user++)
        {
            var truth = exact.ItemsOf(user).ToArray().Where(i => i != 0).ToHashSet();
            if (truth.Count == 0) continue;
            var hits = approximate.ItemsOf(user).ToArray().Count(truth.Contains);
            sum += (double)hits / truth.Count;
        }

        return sum / exact.UserCount;
    }

    /// <summary>Synthetic gallery and interests. With <paramref name="topics"/> 0: items and interests uniform in [−1, 1],
    /// the draws of <c>re4 bench scoring</c> (no structure at all: the hardest case for a graph index). Else items lie
    /// around one of that many random centres (uniform in [−1, 1]) at a distance uniform in [−0.5, 0.5] per coordinate,
    /// scaled by a per-item factor in [0.5, 1.5] (a popularity-like norm), and each interest vector is a centre plus the
    /// same noise: neighbourhoods like a trained table's.</summary>
    private static (ItemEmbeddingTable, float[], int, string, HistoryBatch?) Synthetic(int items, int dim, int interests, int users, int seed, int topics)
    {
        var rng = new Random(seed);
        var table = new float[(items + 1) * dim];
        var vectors = new float[users * interests * dim];
        if (topics == 0)
        {
            for (var i = dim; i < table.Length; i++) table[i] = (float)(rng.NextDouble() * 2 - 1);
            for (var i = 0; i < vectors.Length; i++) vectors[i] = (float)(rng.NextDouble() * 2 - 1);
            return (new ItemEmbeddingTable(table, dim), vectors, interests, "synthetic uniform", null);
        }

        var centres = new float[topics * dim];
        for (var i = 0; i < centres.Length; i++) centres[i] = (float)(rng.NextDouble() * 2 - 1);
        for (var item = 1; item <= items; item++)
        {
            var topic = rng.Next(topics);
            var scale = (float)(0.5 + rng.NextDouble());
            for (var x = 0; x < dim; x++) table[item * dim + x] = scale * (centres[topic * dim + x] + (float)(rng.NextDouble() - 0.5));
        }

        for (var row = 0; row < users * interests; row++)
        {
            var topic = rng.Next(topics);
            for (var x = 0; x < dim; x++) vectors[row * dim + x] = centres[topic * dim + x] + (float)(rng.NextDouble() - 0.5);
        }

        return (new ItemEmbeddingTable(table, dim), vectors, interests, $"synthetic clustered ({topics} topics)", null);
    }

    /// <summary>The model's item table and the interest vectors of the last <paramref name="users"/> histories of
    /// <paramref name="data"/> (a line: user id, then item ids oldest first), each cut to its last L items; the
    /// histories are also the exclusions.</summary>
    private static (ItemEmbeddingTable, float[], int, string, HistoryBatch?) Trained(string checkpoint, string data, int users)
    {
        using var loaded = ModelCheckpoint.Load(checkpoint);
        var config = loaded.Model.Config;
        var histories = new List<int[]>();
        foreach (var line in File.ReadLines(data).Reverse())
        {
            if (histories.Count == users) break;
            var items = new List<int>();
            foreach (var token in line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1))
            {
                if (long.TryParse(token, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id) && loaded.TryGetItem(id, out var item)) items.Add(item);
            }

            if (items.Count > 0) histories.Add(items.TakeLast(config.MaxLength).ToArray());
        }

        var batch = HistoryBatch.FromHistories(histories);
        using var recommender = new MultiInterestRecommender(loaded.Model);
        var vectors = recommender.InterestVectors(batch);
        return (MultiInterestRecommender.ItemTable(loaded.Model), vectors, config.Interests, $"trained {config.Encoder} ({checkpoint})", batch);
    }

    private sealed record Options(int Items, int Dim, int Interests, int Top, int[] Users, int MaxUsers, int Seed, int Threads, int[] Connectivity,
        int ExpansionAdd, int[] ExpansionSearch, double Seconds, string? Checkpoint, string? Data, int Topics);

    private static Options Parse(string[] args)
    {
        var values = new Dictionary<string, string>();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"Expected --name value pairs; got '{args[i]}'.");
            values[args[i][2..]] = args[i + 1];
        }

        int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        int[] Ints(string name, string fallback) => (values.TryGetValue(name, out var v) ? v : fallback).Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var users = Ints("users", "1,32,1024");
        return new Options(Int("items", 100_000), Int("dim", 64), Int("interests", 4), Int("top", 50), users, Math.Max(Int("query-users", 2048), users.Max()),
            Int("seed", 1), Int("threads", Environment.ProcessorCount), Ints("connectivity", USearchScorerOptions.DefaultConnectivity.ToString(CultureInfo.InvariantCulture)),
            Int("expansion-add", USearchScorerOptions.DefaultExpansionAdd), Ints("expansion-search", USearchScorerOptions.DefaultExpansionSearch.ToString(CultureInfo.InvariantCulture)),
            values.TryGetValue("seconds", out var s) ? double.Parse(s, CultureInfo.InvariantCulture) : 3,
            values.GetValueOrDefault("checkpoint"), values.GetValueOrDefault("data"), Int("topics", 0));
    }
}
