using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Npgsql;
using Re4.Recommenders.Data;
using Re4.Recommenders.PgVector;
using Re4.Recommenders.Scoring;

namespace Re4.Cli;

/// <summary><c>re4 bench pgvector</c>: publishes a random gallery to PostgreSQL + pgvector and times retrieval from it
/// side by side with the exact managed scorer in the same run: recall@top against exact, users/s and p50/p99 latency per
/// call for several users-per-call and ef_search values, and the index build time.</summary>
internal static class BenchPgVectorCommand
{
    private const string Synopsis =
        "re4 bench pgvector [--connection STR ...] [--connection-env NAME] [--items 100000] [--dim 64] [--interests 4] [--top 50]\n" +
        "                   [--users 1,32,1024] [--ef-search 40,100,200] [--seconds 10] [--threads T] [--seed 1] [--json]\n" +
        "Publishes a random (seeded) gallery, uniform in [-1, 1]^dim, to the server(s) (one --connection per shard; else the\n" +
        $"environment variable, default {PgVectorOptions.DefaultConnectionStringEnvironmentVariable}), then for each users-per-call value times the exact managed scorer\n" +
        "and the pgvector scorer at each ef_search: each runs calls of that many users (from a pool of max(--users) random\n" +
        "users, no exclusions) until --seconds have passed (at least 3 calls). Prints users/s, p50 and p99 latency of one call,\n" +
        "and recall@top of the pgvector lists against the exact ones over the whole pool. Publishing the same gallery again\n" +
        "reuses it (index build 0). --threads bounds the exact scorer's threads (default: all cores).\n\n";

    /// <summary>The <c>bench pgvector</c> target.</summary>
    public static Verb Create(Func<ParseResult, CancellationToken, VerbContext> context)
    {
        var connection = new Option<string[]>("--connection")
        {
            HelpName = "STR",
            Description = "an Npgsql connection string; once per shard",
            Arity = ArgumentArity.OneOrMore,
        };
        var connectionEnv = CliOptions.Text("connection-env", "NAME",
            $"the environment variable holding the connection string(s) when --connection is absent (default {PgVectorOptions.DefaultConnectionStringEnvironmentVariable})");
        var items = CliOptions.Int("items", "N", "gallery items", 100_000, min: 1);
        var dim = CliOptions.Int("dim", "D", "embedding size", 64, min: 1);
        var interests = CliOptions.Int("interests", "K", "interests per user", 4, min: 1);
        var top = CliOptions.Int("top", "N", "items retrieved per user", 50, min: 1);
        var users = CliOptions.Text("users", "LIST", "users per call, comma-separated (default 1,32,1024)");
        var efSearch = CliOptions.Text("ef-search", "LIST", "hnsw.ef_search values, comma-separated, each 1..1000 (default 40,100,200)");
        var seconds = CliOptions.Double("seconds", "S", "timed seconds per configuration", 10, positive: true);
        var threads = CliOptions.OptionalInt("threads", "T", "exact scorer threads (default: all cores)", min: 1);
        var seed = CliOptions.Int("seed", "S", "seed of the random gallery and users", 1);
        var json = CliOptions.Flag("json", "print one JSON object instead of text");
        var verb = new Verb("pgvector", "retrieval from PostgreSQL + pgvector next to exact: recall, users/s, latency", Synopsis);
        verb.AddOptions(connection, connectionEnv, items, dim, interests, top, users, efSearch, seconds, threads, seed, json);
        Program.SetRun(verb, context, (parse, c) =>
        {
            var userCounts = ParseList(parse.GetValue(users) ?? "1,32,1024", 1, 1 << 20);
            var efs = ParseList(parse.GetValue(efSearch) ?? "40,100,200", 1, 1000);
            if (userCounts is null) return c.Usage("option --users: expected positive integers separated by commas, e.g. 1,32,1024");
            if (efs is null) return c.Usage("option --ef-search: expected integers in 1..1000 separated by commas, e.g. 40,100,200");
            var options = new PgVectorOptions
            {
                ConnectionStrings = (parse.GetValue(connection) ?? []).ToList(),
                ConnectionStringEnvironmentVariable = parse.GetValue(connectionEnv) ?? PgVectorOptions.DefaultConnectionStringEnvironmentVariable,
            };
            if (options.ConnectionStrings.Count == 0 && string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(options.ConnectionStringEnvironmentVariable)))
                return c.Usage($"no connection string: give --connection, or set the environment variable {options.ConnectionStringEnvironmentVariable} (eng/postgres.sh start prints one)");
            if (parse.GetValue(top) > parse.GetValue(items)) return c.Usage($"option --top {parse.GetValue(top)} exceeds the --items {parse.GetValue(items)} of the gallery");
            try
            {
                return Run(c, options, parse.GetValue(items), parse.GetValue(dim), parse.GetValue(interests), parse.GetValue(top), userCounts, efs,
                    parse.GetValue(seconds), parse.GetValue(threads) ?? Environment.ProcessorCount, parse.GetValue(seed), parse.GetValue(json));
            }
            catch (NpgsqlException e) when (e.InnerException is not OperationCanceledException)
            {
                throw new InvalidOperationException($"PostgreSQL failed: {e.Message}", e);
            }
        });
        return verb;
    }

    private static int[]? ParseList(string text, int min, int max)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out values[i]) || values[i] < min || values[i] > max) return null;
        }

        return values;
    }

    private static int Run(VerbContext c, PgVectorOptions options, int n, int d, int k, int top, int[] userCounts, int[] efs, double seconds,
        int threads, int seed, bool json)
    {
        var random = new Random(seed);
        var data = new float[(n + 1) * d];   // [N + 1, d], row 0 padding
        for (var i = d; i < data.Length; i++) data[i] = (float)(random.NextDouble() * 2 - 1);
        var pool = userCounts.Max();
        var vectors = new float[pool * k * d];   // [U, K, d]
        for (var i = 0; i < vectors.Length; i++) vectors[i] = (float)(random.NextDouble() * 2 - 1);
        var gallery = new ItemEmbeddingTable(data, d);

        c.Error.WriteLine($"re4 bench pgvector: publishing {n} items x {d} to {options.ResolveConnectionStrings().Count} shard(s)...");
        PgVectorPublication published;
        using (var publisher = new PgVectorPublisher(options))
            published = publisher.PublishAsync(gallery, IdMap.FromNumbers(Enumerable.Range(1, n).Select(i => (long)i), firstIndex: 1), null, c.Cancellation).GetAwaiter().GetResult();

        var exact = new ManagedCandidateScorer(gallery, threads);
        var all = new CandidateQuery(vectors, pool, k);
        var truth = exact.Retrieve(all, top, c.Cancellation);
        var f = CultureInfo.InvariantCulture;
        if (!json)
        {
            // Rows are printed as they are measured: a run at 1024 users per call and a large ef_search takes minutes.
            c.Out.WriteLine(string.Create(f, $"gallery {n} items x {d}, K = {k}, top {top}, {published.RowsPerShard.Count} shard(s); version {published.Version}") +
                            (published.AlreadyPublished ? " (already published: nothing copied)"
                                : string.Create(f, $"; copy {published.CopyTime.TotalSeconds:F1} s, HNSW index build {published.IndexBuildTime.TotalSeconds:F1} s")));
            c.Out.WriteLine("scorer    ef_search  users/call  calls     users/s    p50 ms    p99 ms  recall@top");
        }

        var rows = new List<PgVectorBenchRow>();
        void Add(PgVectorBenchRow r)
        {
            rows.Add(r);
            if (json) return;
            c.Out.WriteLine(string.Create(f,
                $"{r.Scorer,-9} {(r.EfSearch == 0 ? "-" : r.EfSearch.ToString(f)),9} {r.UsersPerCall,11} {r.Calls,6} {r.UsersPerSecond,11:F1} {r.P50Ms,9:F2} {r.P99Ms,9:F2} {r.RecallAtTop,11:F4}"));
            c.Out.Flush();
        }

        var recalls = new Dictionary<int, double>();
        foreach (var b in userCounts)
        {
            Add(Time("exact", 0, exact, vectors, pool, b, k, d, top, seconds, null, c.Cancellation));
            foreach (var ef in efs)
            {
                options.EfSearch = ef;
                using var scorer = PgVectorScorers.OpenAsync(options, published.Version, c.Cancellation).GetAwaiter().GetResult();
                // Recall depends on ef_search, not on the users per call: measured once per ef_search.
                var row = Time("pgvector", ef, scorer, vectors, pool, b, k, d, top, seconds, recalls.ContainsKey(ef) ? null : truth, c.Cancellation);
                if (recalls.TryGetValue(ef, out var known)) row = new PgVectorBenchRow
                {
                    Scorer = row.Scorer, EfSearch = ef, UsersPerCall = b, Calls = row.Calls, UsersPerSecond = row.UsersPerSecond,
                    P50Ms = row.P50Ms, P99Ms = row.P99Ms, RecallAtTop = known,
                };
                recalls[ef] = row.RecallAtTop;
                Add(row);
            }
        }

        var report = new PgVectorBenchReport
        {
            Items = n, Dim = d, Interests = k, Top = top, Shards = published.RowsPerShard.Count, Version = published.Version,
            AlreadyPublished = published.AlreadyPublished, CopySeconds = published.CopyTime.TotalSeconds,
            IndexBuildSeconds = published.IndexBuildTime.TotalSeconds, Rows = rows,
        };
        if (json) c.Out.WriteLine(JsonSerializer.Serialize(report, CliJsonContext.Default.PgVectorBenchReport));
        return 0;
    }

    /// <summary>Runs calls of <paramref name="b"/> users (consecutive slices of the pool) until <paramref name="seconds"/>
    /// have passed, at least 3; recall is measured on one pass over the whole pool when <paramref name="truth"/> is given
    /// (1 otherwise: exact, or a recall the caller already knows).</summary>
    private static PgVectorBenchRow Time(string name, int ef, ICandidateScorer scorer, float[] vectors, int pool, int b, int k, int d, int top,
        double seconds, CandidateResult? truth, CancellationToken cancellationToken)
    {
        CandidateQuery Slice(int call)
        {
            var first = call * b % pool;
            var count = Math.Min(b, pool - first);
            return new CandidateQuery(vectors.AsMemory(first * k * d, count * k * d), count, k);
        }

        scorer.Retrieve(new CandidateQuery(vectors.AsMemory(0, Math.Min(b, 8) * k * d), Math.Min(b, 8), k), top, cancellationToken);   // warm-up: JIT, connections, index pages
        var latencies = new List<double>();
        var served = 0;
        var total = Stopwatch.StartNew();
        for (var call = 0; call < 3 || total.Elapsed.TotalSeconds < seconds; call++)
        {
            var query = Slice(call);
            var watch = Stopwatch.StartNew();
            scorer.Retrieve(query, top, cancellationToken);
            latencies.Add(watch.Elapsed.TotalMilliseconds);
            served += query.UserCount;
        }

        var elapsed = total.Elapsed.TotalSeconds;
        latencies.Sort();
        var recall = 1.0;
        if (truth is not null)
        {
            var approx = scorer.Retrieve(new CandidateQuery(vectors, pool, k), top, cancellationToken);
            var hits = 0L;
            for (var u = 0; u < pool; u++)
            {
                var expected = truth.ItemsOf(u).ToArray().Where(i => i != 0).ToHashSet();
                hits += approx.ItemsOf(u).ToArray().Count(expected.Contains);
            }

            recall = hits / (double)(pool * (long)top);
        }

        return new PgVectorBenchRow
        {
            Scorer = name, EfSearch = ef, UsersPerCall = b, Calls = latencies.Count, UsersPerSecond = served / elapsed,
            P50Ms = Percentile(latencies, 0.50), P99Ms = Percentile(latencies, 0.99), RecallAtTop = recall,
        };
    }

    /// <summary>The nearest-rank percentile of sorted values.</summary>
    private static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}
