using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Text.Json;
using Re4.Recommenders.Models;
using Re4.Recommenders.Scoring;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Cli;

/// <summary><c>re4 bench scoring</c>: exact top-N retrieval throughput on a random gallery, next to this machine's
/// measured matrix-multiply, FMA and memory-streaming speeds, for capacity planning.</summary>
internal static class BenchCommand
{
    private const string Description =
        "Scores a random (seeded) gallery of --items items against --users users × --interests interests, exact top --top\n" +
        "per user by max over interests. After a warm-up, each scorer runs --repeat timed batches and --repeat single-user\n" +
        "queries (medians reported). Prints users/s, GFLOP/s (2·users·interests·items·dim / time), the same run's torch.mm\n" +
        "throughput (4096×dim by dim×min(items, 16384)) and managed FMA peak, the ratios, the single-user latency next to\n" +
        "the time to stream the item table once from memory (a parallel sum), and the peak extra memory of one batch.\n" +
        "--threads (default: all cores) bounds the managed scorer's threads and libtorch's intra-op threads.\n" +
        "--json prints one JSON object: users_per_second, gflops, matmul_gflops, peak_extra_bytes, ... of the faster scorer\n" +
        "and every scorer's figures under \"scorers\". cores_used (CPU time / wall time of the batches) shows whether other\n" +
        "processes took cores from the run.\n" +
        "peak_extra_bytes: on Linux the rise of the process's peak resident set during one batch (managed and native,\n" +
        "after resetting the peak through /proc/self/clear_refs); elsewhere the managed bytes allocated by the batch.\n\n";

    private static readonly IReadOnlyDictionary<string, string[]> Scorers = new Dictionary<string, string[]>
    {
        ["managed"] = ["managed"],
        ["torch"] = ["torch"],
        ["both"] = ["managed", "torch"],
    };

    /// <summary>The <c>bench</c> verb and its one target, <c>bench scoring</c>.</summary>
    public static Command Create(Func<ParseResult, CancellationToken, VerbContext> context)
    {
        var model = new ModelConfig();
        var items = CliOptions.Int("items", "N", "gallery items", 1_700_000, min: 1);
        var dim = CliOptions.Int("dim", "D", "embedding size", model.Dimension, min: 1);
        var interests = CliOptions.Int("interests", "K", "interests per user", model.Interests, min: 1);
        var users = CliOptions.Int("users", "U", "users per timed batch", 1024, min: 1);
        var top = CliOptions.Int("top", "N", "items retrieved per user", 50, min: 1);
        var device = CliOptions.DeviceOption("where the torch scorer and torch.mm run");
        var scorer = CliOptions.Choice("scorer", "which scorers to time", Scorers, Scorers["both"]);
        var threads = CliOptions.OptionalInt("threads", "T", "managed scorer and libtorch intra-op threads (default: all cores)", min: 1);
        var repeat = CliOptions.Int("repeat", "R", "timed batches and single-user queries per scorer", 3, min: 1);
        var seed = CliOptions.Int("seed", "S", "seed of the random gallery and users", 1);
        var json = CliOptions.Flag("json", "print one JSON object instead of text");
        Option[] options = [items, dim, interests, users, top, device, scorer, threads, repeat, seed, json];
        var scoring = new Verb("scoring", "exact top-N retrieval throughput", Synopsis(options) + Description);
        scoring.AddOptions(options);
        Program.SetRun(scoring, context, (parse, c) =>
        {
            var n = parse.GetValue(items);
            var d = parse.GetValue(dim);
            if ((long)(n + 1) * d > Array.MaxLength) return c.Usage($"--items {n} × --dim {d} does not fit one managed array");
            if (parse.GetValue(top) > n) return c.Usage($"option --top {parse.GetValue(top)} exceeds the --items {n} of the gallery");
            if (MemoryEstimate.BenchProblem(n, d, parse.GetValue(interests), parse.GetValue(users), MemoryEstimate.AvailableBytes) is { } tooBig)
                return c.Usage(tooBig);
            return Run(c.Out, n, d, parse.GetValue(interests), parse.GetValue(users), parse.GetValue(top), parse.GetValue(device)!,
                parse.GetValue(scorer)!, parse.GetValue(threads) ?? Environment.ProcessorCount, parse.GetValue(repeat), parse.GetValue(seed), parse.GetValue(json));
        });
        var bench = new Command("bench", "bench scoring: exact top-N retrieval throughput against this machine's matmul and memory speed; bench train: a training step's breakdown; bench pgvector: pgvector retrieval against exact");
        bench.Subcommands.Add(scoring);
        bench.Subcommands.Add(BenchTrainCommand.Create(context));
        bench.Subcommands.Add(BenchPgVectorCommand.Create(context));
        return bench;
    }

    /// <summary>The usage lines: every option with its default (or its values), wrapped as the help's other lines.</summary>
    private static string Synopsis(Option[] options)
    {
        var parts = options.Select(o => o.Arity.MaximumNumberOfValues == 0 ? $"[{o.Name}]"
            : o.HasDefaultValue && o.HelpName is not null && !o.HelpName.Contains('|') ? $"[{o.Name} {Shown(o)}]"
            : $"[{o.Name} {o.HelpName}]").ToList();
        var lines = new List<string>();
        var line = "re4 bench scoring";
        foreach (var part in parts)
        {
            if (line.Length + 1 + part.Length > 110)
            {
                lines.Add(line);
                line = new string(' ', "re4 bench scoring".Length);
            }

            line += " " + part;
        }

        lines.Add(line);
        return string.Join('\n', lines) + "\n";
    }

    /// <summary>An option's default as its help line shows it.</summary>
    private static string Shown(Option option) => option.GetDefaultValue() switch
    {
        int i => CliOptions.Format(i),
        var other => Convert.ToString(other, CultureInfo.InvariantCulture) ?? string.Empty,
    };

    private static int Run(TextWriter stdout, int items, int dim, int interests, int users, int top, Device device, string[] which, int threads,
        int repeat, int seed, bool json)
    {
        torch.set_num_threads(threads);
        var rng = new Random(seed);
        var table = new float[(items + 1) * dim];
        for (var i = dim; i < table.Length; i++) table[i] = (float)(rng.NextDouble() * 2 - 1);
        var vectors = new float[users * interests * dim];
        for (var i = 0; i < vectors.Length; i++) vectors[i] = (float)(rng.NextDouble() * 2 - 1);
        var gallery = new ItemEmbeddingTable(table, dim);
        var query = new CandidateQuery(vectors, users, interests);
        var single = new CandidateQuery(vectors.AsMemory(0, interests * dim), 1, interests);
        var flopsPerUser = 2.0 * interests * items * dim;

        var streamSeconds = StreamSeconds(table, threads);
        var matmul = MatmulGflops(dim, Math.Min(items, 16384), device);
        var fmaPeak = FmaPeakGflops(threads);

        var reports = new List<ScorerReport>();
        foreach (var name in which)
        {
            var clock = Stopwatch.StartNew();
            ICandidateScorer scorer = name == "managed"
                ? new ManagedCandidateScorer(gallery, threads)
                : new TorchCandidateScorer(gallery, device);
            var buildSeconds = clock.Elapsed.TotalSeconds;
            scorer.Retrieve(new CandidateQuery(vectors.AsMemory(0, Math.Min(users, 8) * interests * dim), Math.Min(users, 8), interests), top);   // warm-up: JIT, libtorch pools

            var (peak, allocated) = MeasureMemory(() => scorer.Retrieve(query, top));
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            var batch = Median(repeat, () => scorer.Retrieve(query, top));
            // CPU time over wall time of the batches: below --threads when other processes competed for the cores.
            var coresUsed = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds / wall.Elapsed.TotalSeconds;
            var latency = Median(repeat, () => scorer.Retrieve(single, top));
            (scorer as IDisposable)?.Dispose();
            var gflops = flopsPerUser * users / batch / 1e9;
            reports.Add(new ScorerReport(name, users / batch, gflops, batch, latency, buildSeconds, peak, allocated, coresUsed));
        }

        var best = reports.MaxBy(r => r.UsersPerSecond)!;
        if (json)
        {
            stdout.WriteLine(Json(best, reports, items, dim, interests, users, top, device, threads, repeat, matmul, fmaPeak, streamSeconds, table.LongLength * sizeof(float)));
            return 0;
        }

        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"gallery {items:N0} items × d {dim}; {users:N0} users × {interests} interests; top {top}; {threads} threads; device {device.type.ToString().ToLowerInvariant()}"));
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"this machine: torch.mm {matmul:F1} GFLOP/s, managed FMA peak {fmaPeak:F1} GFLOP/s, item table streamed once in {streamSeconds * 1e3:F2} ms ({table.LongLength * sizeof(float) / streamSeconds / 1e9:F1} GB/s)"));
        foreach (var r in reports)
        {
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Name,-8} {r.UsersPerSecond,10:F1} users/s  {r.Gflops,7:F1} GFLOP/s  ({r.Gflops / matmul:F2}× torch.mm, {r.Gflops / fmaPeak:F2}× FMA peak)  " +
                $"batch {r.BatchSeconds:F3} s  1-user latency {r.LatencySeconds * 1e3:F2} ms ({r.LatencySeconds / streamSeconds:F2}× stream)  " +
                $"peak extra {r.PeakExtraBytes / 1048576.0:F1} MiB  allocated {r.AllocatedBytes / 1048576.0:F1} MiB  build {r.BuildSeconds:F2} s  cores used {r.CoresUsed:F2}"));
        }

        return 0;
    }

    private sealed record ScorerReport(string Name, double UsersPerSecond, double Gflops, double BatchSeconds, double LatencySeconds,
        double BuildSeconds, long PeakExtraBytes, long AllocatedBytes, double CoresUsed);

    private static string Json(ScorerReport best, List<ScorerReport> reports, int items, int dim, int interests, int users, int top,
        Device device, int threads, int repeat, double matmul, double fmaPeak, double streamSeconds, long tableBytes)
    {
        var report = new BenchReport(Figures(best, matmul, fmaPeak, streamSeconds))
        {
            Scorer = best.Name,
            MatmulGflops = matmul,
            FmaPeakGflops = fmaPeak,
            StreamMs = streamSeconds * 1e3,
            StreamGbPerSecond = tableBytes / streamSeconds / 1e9,
            Items = items,
            Dim = dim,
            Interests = interests,
            Users = users,
            Top = top,
            Device = device.type.ToString().ToLowerInvariant(),
            Threads = threads,
            Repeat = repeat,
            Scorers = reports.ToDictionary(r => r.Name, r => Figures(r, matmul, fmaPeak, streamSeconds)),
        };
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            JsonSerializer.Serialize(w, report, CliJsonContext.Default.BenchReport);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static ScorerFigures Figures(ScorerReport r, double matmul, double fmaPeak, double streamSeconds) => new()
    {
        UsersPerSecond = r.UsersPerSecond,
        Gflops = r.Gflops,
        RatioToMatmul = r.Gflops / matmul,
        RatioToFmaPeak = r.Gflops / fmaPeak,
        BatchSeconds = r.BatchSeconds,
        LatencyMs = r.LatencySeconds * 1e3,
        LatencyToStream = r.LatencySeconds / streamSeconds,
        PeakExtraBytes = r.PeakExtraBytes,
        AllocatedBytes = r.AllocatedBytes,
        BuildSeconds = r.BuildSeconds,
        CoresUsed = r.CoresUsed,
    };

    /// <summary>Median wall time of <paramref name="repeat"/> runs.</summary>
    private static double Median(int repeat, Action action)
    {
        var times = new double[repeat];
        for (var i = 0; i < repeat; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            times[i] = clock.Elapsed.TotalSeconds;
        }

        Array.Sort(times);
        return repeat % 2 == 1 ? times[repeat / 2] : (times[repeat / 2 - 1] + times[repeat / 2]) / 2;
    }

    /// <summary>One run's peak extra memory and managed allocations (see <see cref="Description"/>).</summary>
    private static (long Peak, long Allocated) MeasureMemory(Action action)
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var resetPeak = TryResetPeakResident();
        var before = ProcStatusBytes("VmRSS");
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        action();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var peak = ProcStatusBytes("VmHWM");
        return resetPeak && before > 0 && peak > 0 ? (Math.Max(0, peak - before), allocated) : (allocated, allocated);
    }

    /// <summary>Linux: writing 5 to clear_refs resets the peak resident set (VmHWM) to the current one.</summary>
    private static bool TryResetPeakResident()
    {
        try
        {
            if (!OperatingSystem.IsLinux()) return false;
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static long ProcStatusBytes(string key)
    {
        try
        {
            if (!OperatingSystem.IsLinux()) return 0;
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (!line.StartsWith(key + ":", StringComparison.Ordinal)) continue;
                var kb = line[(key.Length + 1)..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }

    /// <summary>The time to read the whole table once (a parallel sum), best of three: the floor for any scorer that
    /// must look at every item.</summary>
    private static double StreamSeconds(float[] table, int threads)
    {
        var best = double.MaxValue;
        var sums = new float[threads];
        for (var rep = 0; rep < 3; rep++)
        {
            var clock = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                var start = (int)((long)table.Length * t / threads);
                var end = (int)((long)table.Length * (t + 1) / threads);
                sums[t] = TensorPrimitives.Sum(table.AsSpan(start, end - start));
            });
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }

        GC.KeepAlive(sums);
        return best;
    }

    /// <summary>libtorch's fp32 matrix product on the device: [4096, d] · [d, m], best of three after a warm-up.</summary>
    private static double MatmulGflops(int dim, int m, Device device)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var generator = new Generator(7);
        var a = rand(4096, dim, generator: generator).to(device);
        var b = rand(dim, m, generator: generator).to(device);
        var best = double.MaxValue;
        for (var rep = 0; rep < 4; rep++)
        {
            var clock = Stopwatch.StartNew();
            using (var c = a.mm(b))
            {
                // Reading one element waits for the product (CUDA runs asynchronously).
                _ = c[0, 0].cpu().item<float>();
            }

            if (rep > 0) best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }

        return 2.0 * 4096 * dim * m / best / 1e9;
    }

    /// <summary>Managed FMA throughput with no memory traffic: 12 independent vector accumulators per thread (enough
    /// to cover the FMA latency), all threads at once. An upper bound for any managed fp32 kernel here.</summary>
    internal static double FmaPeakGflops(int threads)
    {
        const int iterations = 4_000_000;
        var lanes = Vector512.IsHardwareAccelerated ? Vector512<float>.Count : Vector256<float>.Count;
        var sink = new float[threads];
        var best = double.MaxValue;
        for (var rep = 0; rep < 2; rep++)
        {
            var clock = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
                sink[t] = Vector512.IsHardwareAccelerated ? FmaLoop512(iterations) : FmaLoop256(iterations));
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }

        GC.KeepAlive(sink);
        return 2.0 * 12 * lanes * iterations * threads / best / 1e9;
    }

    private static float FmaLoop512(int iterations)
    {
        var m = Vector512.Create(0.999f);
        var c = Vector512.Create(1e-3f);
        Vector512<float> a0 = c, a1 = c, a2 = c, a3 = c, a4 = c, a5 = c, a6 = c, a7 = c, a8 = c, a9 = c, a10 = c, a11 = c;
        for (var i = 0; i < iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, c);
            a1 = Vector512.FusedMultiplyAdd(a1, m, c);
            a2 = Vector512.FusedMultiplyAdd(a2, m, c);
            a3 = Vector512.FusedMultiplyAdd(a3, m, c);
            a4 = Vector512.FusedMultiplyAdd(a4, m, c);
            a5 = Vector512.FusedMultiplyAdd(a5, m, c);
            a6 = Vector512.FusedMultiplyAdd(a6, m, c);
            a7 = Vector512.FusedMultiplyAdd(a7, m, c);
            a8 = Vector512.FusedMultiplyAdd(a8, m, c);
            a9 = Vector512.FusedMultiplyAdd(a9, m, c);
            a10 = Vector512.FusedMultiplyAdd(a10, m, c);
            a11 = Vector512.FusedMultiplyAdd(a11, m, c);
        }

        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    private static float FmaLoop256(int iterations)
    {
        var m = Vector256.Create(0.999f);
        var c = Vector256.Create(1e-3f);
        Vector256<float> a0 = c, a1 = c, a2 = c, a3 = c, a4 = c, a5 = c, a6 = c, a7 = c, a8 = c, a9 = c, a10 = c, a11 = c;
        for (var i = 0; i < iterations; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, m, c);
            a1 = Vector256.FusedMultiplyAdd(a1, m, c);
            a2 = Vector256.FusedMultiplyAdd(a2, m, c);
            a3 = Vector256.FusedMultiplyAdd(a3, m, c);
            a4 = Vector256.FusedMultiplyAdd(a4, m, c);
            a5 = Vector256.FusedMultiplyAdd(a5, m, c);
            a6 = Vector256.FusedMultiplyAdd(a6, m, c);
            a7 = Vector256.FusedMultiplyAdd(a7, m, c);
            a8 = Vector256.FusedMultiplyAdd(a8, m, c);
            a9 = Vector256.FusedMultiplyAdd(a9, m, c);
            a10 = Vector256.FusedMultiplyAdd(a10, m, c);
            a11 = Vector256.FusedMultiplyAdd(a11, m, c);
        }

        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }
}
