using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Re4.Recommenders.Data;
using Re4.Recommenders.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Cli;

/// <summary><c>re4 bench train</c>: where the time of a training step goes (sampling, embedding gather, extractor,
/// logits, softmax/CE, each flow, backward, optimizer), with the logits' rate next to libtorch's product and the FMA
/// peak measured in the same run, so that each change to the step is measured, not guessed.</summary>
internal static class BenchTrainCommand
{
    private const string Synopsis =
        "re4 bench train [--data PATH|synthetic] [--model NAME] [--steps N] [--warmup N] [--prefetch N] [--threads T] [--json] [train options]\n" +
        "Builds the trainer 'train' would build (same model presets and flags), takes --warmup untimed steps then --steps\n" +
        "timed ones (real steps: the same batches, losses and updates as 'train'; no validation), and prints the mean time\n" +
        "per step of each phase, samples/s (sampling included), the logits' GFLOP/s next to libtorch's product for the\n" +
        "logits' three shapes and the managed FMA peak, all measured in this run. Without --data: synthetic data of Amazon\n" +
        "Beauty's shape (22,363 users, 12,101 items, 5-13 items each, no filter). --json prints one JSON object instead.\n" +
        "Timing only reads a clock between phases (on CUDA it also waits for the device), so the step computes what it\n" +
        "computes in 'train'. Figures are wall time: other processes on the machine slow them (see cores_used).\n\n";

    /// <summary>Amazon Beauty's shape after ComiRec's filter: the default data of the benchmark.</summary>
    internal static SyntheticDataOptions BeautyShape() => new()
    {
        Users = 22_363,
        Items = 12_101,
        MinLength = 5,
        MaxLength = 13,
    };

    /// <summary>The <c>bench train</c> verb.</summary>
    public static Verb Create(Func<ParseResult, CancellationToken, VerbContext> context)
    {
        var data = new DataOptions("seed of the split and of training (default {default})");
        data.Data.Required = false;
        data.Data.Description = "interaction file, or 'synthetic' for the built-in planted-interest data (default: synthetic data of Beauty's shape)";
        var model = CliOptions.Parsed("model", "NAME", $"{ModelPreset.Names} (default comirec-sa)", ModelPreset.ParseName);
        var flags = new TrainFlags();
        var steps = CliOptions.Int("steps", "N", "timed steps", 50, min: 1);
        var warmup = CliOptions.Int("warmup", "N", "untimed steps first", 5, min: 0);
        var prefetch = CliOptions.Int("prefetch", "N", "batches drawn ahead on another thread (0: on the training thread)", new TrainerOptions().PrefetchBatches, min: 0);
        var threads = CliOptions.OptionalInt("threads", "T", "libtorch intra-op threads (default: libtorch's own choice)", min: 1);
        var json = CliOptions.Flag("json", "print one JSON object instead of text");
        var verb = new Verb("train", "where the time of a training step goes", Synopsis);
        // Every train flag is accepted (so that a train command line can be benchmarked as it is); the step limits,
        // validation and early stopping do not apply to the benchmark's steps.
        verb.AddOptions([.. data.All, model, steps, warmup, prefetch, threads, json, .. flags.All]);
        Program.SetRun(verb, context, (parse, c) =>
        {
            var modelName = parse.GetValue(model) ?? "comirec-sa";
            if (flags.Problem(parse, modelName) is { } problem) return c.Usage(problem);
            if (parse.GetValue(prefetch) > TrainerOptions.MaxPrefetchBatches)
                return c.Usage($"option --prefetch must be at most {TrainerOptions.MaxPrefetchBatches}, not {parse.GetValue(prefetch)}");
            if (parse.GetValue(threads) is { } t) torch.set_num_threads(t);
            var given = parse.GetValue(data.Data);
            var source = data.Read(parse) with { Data = given ?? DataSource.Synthetic };
            var spec = flags.Read(parse, modelName, source.Seed);
            spec.Options.PrefetchBatches = parse.GetValue(prefetch);
            var logger = c.Loggers.CreateLogger("bench");
            SequenceDataset dataset;
            DataSplit split;
            string dataName;
            if (given is null)
            {
                dataset = PlantedInterestGenerator.Generate(BeautyShape());
                split = DataSplitter.Split(dataset, source.Protocol, source.SplitSeed, source.MaxLength);
                dataName = "synthetic (Beauty's shape)";
            }
            else
            {
                (dataset, split) = source.Load(logger);
                dataName = source.IsSynthetic ? "synthetic" : Path.GetFileName(source.Data);
            }

            var config = spec.Config(dataset, source.MaxLength);
            using var trainer = new MultiInterestTrainer(split, config, spec.Options, logger, spec.Device);
            // Warm-up apart, so that the memory after it can be compared with the memory after the timed steps.
            if (parse.GetValue(warmup) > 0) trainer.Profile(parse.GetValue(warmup), 0, c.Cancellation);
            var (residentBefore, managedBefore) = Memory();
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            var profile = trainer.Profile(parse.GetValue(steps), 0, c.Cancellation);
            var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
            var coresUsed = cpuSeconds / wall.Elapsed.TotalSeconds;
            var (residentAfter, managedAfter) = Memory();

            var options = spec.Options;
            var b = options.BatchSize;
            var d = config.Dimension;
            long columns = options.Negatives == NegativeSampling.Full ? config.ItemCount : Math.Min(options.NegativeCount ?? (options.Negatives == NegativeSampling.Uniform ? 5000 : 10 * b), config.ItemCount);   // the trainer's documented rule
            var logitsSeconds = profile.SecondsOf(StepPhase.Logits);
            var forwardFlop = 2.0 * b * d * columns;
            var threadCount = torch.get_num_threads();
            var matmul = new TrainBenchMatmul
            {
                Forward = MatmulGflops(b, d, columns, spec.Device),
                GradInterests = MatmulGflops(b, columns, d, spec.Device),
                GradTable = MatmulGflops(columns, b, d, spec.Device),
            };
            var fmaPeak = BenchCommand.FmaPeakGflops(threadCount);
            var stepGflops = 3 * forwardFlop / profile.SecondsPerStep / 1e9;
            var logitsGflops = logitsSeconds > 0 ? forwardFlop / logitsSeconds / 1e9 : 0;
            var report = new TrainBenchReport
            {
                Model = modelName,
                Data = dataName,
                Items = config.ItemCount,
                TrainUsers = split.TrainCount,
                Interests = config.EffectiveInterests,
                Dim = d,
                MaxLen = config.MaxLength,
                BatchSize = b,
                Sampler = CliOptions.NameOf(TrainCommand.Samplers, options.Negatives),
                Flows = trainer.Flows.Select(f => f.Flow.Name).ToArray(),
                Device = spec.Device.type.ToString().ToLowerInvariant(),
                Threads = threadCount,
                Prefetch = options.PrefetchBatches,
                Steps = profile.Steps,
                Warmup = parse.GetValue(warmup),
                StepMs = profile.SecondsPerStep * 1e3,
                SamplesPerSecond = profile.SamplesPerSecond,
                CoresUsed = coresUsed,
                CpuMsPerStep = cpuSeconds * 1e3 / profile.Steps,
                Allocator = Program.Allocator,
                ResidentGrowthBytes = residentAfter - residentBefore,
                ManagedGrowthBytes = managedAfter - managedBefore,
                Phases = profile.Phases.Select(p => new TrainBenchPhase
                {
                    Phase = StepPhaseName(p.Phase),
                    Name = p.Name,
                    Ms = p.SecondsPerStep * 1e3,
                    Share = p.SecondsPerStep / profile.SecondsPerStep,
                }).ToArray(),
                LogitsKernel = CliOptions.NameOf(TrainFlags.LogitsKernels, options.LogitsKernel),
                LogitsGflopPerStep = 3 * forwardFlop / 1e9,
                LogitsGflops = logitsGflops,
                LogitsToFmaPeak = logitsGflops / fmaPeak,
                StepGflops = stepGflops,
                Matmul = matmul,
                FmaPeakGflops = fmaPeak,
                StepToMatmul = stepGflops / ((matmul.Forward + matmul.GradInterests + matmul.GradTable) / 3),
            };
            if (parse.GetValue(json)) c.Out.WriteLine(Json(report));
            else Print(c.Out, report, columns);
            return 0;
        });
        return verb;
    }

    /// <summary>The process's resident set (Linux; 0 elsewhere) and the managed heap, after a full collection.</summary>
    private static (long Resident, long Managed) Memory()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var managed = GC.GetTotalMemory(forceFullCollection: true);
        long resident = 0;
        if (OperatingSystem.IsLinux())
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            if (line is not null) resident = long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }

        return (resident, managed);
    }

    private static string StepPhaseName(StepPhase phase) => JsonNamingPolicy.KebabCaseLower.ConvertName(phase.ToString());

    private static void Print(TextWriter o, TrainBenchReport r, long columns)
    {
        var inv = CultureInfo.InvariantCulture;
        o.WriteLine(string.Create(inv,
            $"{r.Model} on {r.Data}: {r.Items:N0} items, {r.TrainUsers:N0} training users; K {r.Interests}, d {r.Dim}, L {r.MaxLen}, B {r.BatchSize}, {r.Sampler} softmax ({columns:N0} columns)" +
            $"{(r.Flows.Count > 0 ? ", flows " + string.Join(',', r.Flows) : string.Empty)}; device {r.Device}, {r.Threads} threads, prefetch {r.Prefetch}"));
        o.WriteLine(string.Create(inv, $"{r.Steps} steps after {r.Warmup} warm-up steps: {r.StepMs:F2} ms/step, {r.SamplesPerSecond:F0} samples/s, cores used {r.CoresUsed:F2} ({r.CpuMsPerStep:F2} CPU ms/step), allocator {r.Allocator}"));
        o.WriteLine(string.Create(inv, $"memory over the timed steps: resident {r.ResidentGrowthBytes / 1048576.0:+0.0;-0.0} MiB, managed {r.ManagedGrowthBytes / 1048576.0:+0.00;-0.00} MiB"));
        o.WriteLine();
        o.WriteLine($"{"phase",-24} {"ms/step",9} {"share",7}");
        foreach (var p in r.Phases)
        {
            var label = p.Phase == "flow" ? $"flow {p.Name}" : p.Name;
            o.WriteLine(string.Create(inv, $"{label,-24} {p.Ms,9:F3} {p.Share * 100,6:F1}%"));
        }

        o.WriteLine(string.Create(inv, $"{"total",-24} {r.StepMs,9:F3} {100,6:F1}%"));
        o.WriteLine();
        o.WriteLine(string.Create(inv,
            $"logits ({r.LogitsKernel} kernel): {r.LogitsGflopPerStep:F3} GFLOP/step forward+backward; forward at {r.LogitsGflops:F1} GFLOP/s ({r.LogitsToFmaPeak:F2}x FMA peak); whole step {r.StepGflops:F1} GFLOP/s of logits work ({r.StepToMatmul:F2}x libtorch's product)"));
        o.WriteLine(string.Create(inv,
            $"this machine: libtorch product [B,d]x[d,N] {r.Matmul.Forward:F1}, [B,N]x[N,d] {r.Matmul.GradInterests:F1}, [N,B]x[B,d] {r.Matmul.GradTable:F1} GFLOP/s; managed FMA peak {r.FmaPeakGflops:F1} GFLOP/s"));
    }

    private static string Json(TrainBenchReport report)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            JsonSerializer.Serialize(w, report, CliJsonContext.Default.TrainBenchReport);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>libtorch's fp32 product <c>[m, k]·[k, n]</c> on the device, in GFLOP/s: the median of nine after a warm-up.</summary>
    internal static double MatmulGflops(long m, long k, long n, Device device)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var generator = new Generator(7);
        var a = rand(m, k, generator: generator).to(device);   // [m, k]
        var b = rand(k, n, generator: generator).to(device);   // [k, n]
        var times = new double[9];
        for (var rep = -2; rep < times.Length; rep++)
        {
            var clock = Stopwatch.StartNew();
            using (var c = a.mm(b))
            {
                _ = c[0, 0].cpu().item<float>();   // waits for the product on CUDA
            }

            if (rep >= 0) times[rep] = clock.Elapsed.TotalSeconds;
        }

        Array.Sort(times);
        return 2.0 * m * k * n / times[times.Length / 2] / 1e9;
    }
}
