using System.Diagnostics;
using System.Globalization;
using Re4.Recommenders.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Benchmarks;

/// <summary><c>logits [--b B] [--n N] [--d D] [--rounds R]</c>: the three products of the full-softmax logits (U·Eᵀ, G·E,
/// Gᵀ·U), the managed kernel as the training step runs it (item-major: Cᵀ = E·Uᵀ, and both gradients from Gᵀ) and
/// libtorch's matmul interleaved round by round in one process, in GFLOP/s (best and median of the rounds), so that the
/// two are compared under the same load.</summary>
internal static class LogitsReport
{
    public static int Run(string[] args)
    {
        int Arg(string name, int fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        }

        int b = Arg("--b", 128), n = Arg("--n", 12_101), d = Arg("--d", 64), rounds = Arg("--rounds", 7);
        var threads = torch.get_num_threads();
        using var u = randn(b, d);     // [B, d]
        using var e = randn(n, d);     // [N, d]
        using var g = randn(b, n);     // [B, N]
        using var gT = g.t().contiguous();   // Gᵀ [N, B]
        var flop = 2.0 * b * d * n;
        var names = new[] { "forward U·Eᵀ", "dU = G·E", "dE = Gᵀ·U" };
        var managed = new List<double>[3];
        var torchRates = new List<double>[3];
        for (var i = 0; i < 3; i++) { managed[i] = []; torchRates[i] = []; }
        using var logitsT = empty(n, b);   // Cᵀ [N, B]
        using var du = empty(b, d);
        using var de = empty(n, d);
        for (var round = 0; round < rounds + 1; round++)
        {
            // Managed: each product on its own, repeated until about 0.2 s.
            var m = new[]
            {
                Rate(() => ManagedLogits.Forward(e, u, logitsT, threads), flop),
                Rate(() => ManagedLogits.GradTable(gT, e, du, threads, LogitsGemm.ReductionBlock), flop),
                Rate(() => ManagedLogits.GradInterests(gT, u, de, threads, int.MaxValue), flop),
            };
            var t = new[]
            {
                Rate(() => { using var r = u.matmul(e.t()); }, flop),
                Rate(() => { using var r = g.matmul(e); }, flop),
                Rate(() => { using var r = g.t().matmul(u); }, flop),
            };
            if (round == 0) continue;   // warm-up
            for (var i = 0; i < 3; i++) { managed[i].Add(m[i]); torchRates[i].Add(t[i]); }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"B {b}, N {n}, d {d}, {threads} threads, {rounds} rounds (GFLOP/s: median, best)"));
        for (var i = 0; i < 3; i++)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{names[i],-14} managed {Median(managed[i]),7:F1} {managed[i].Max(),7:F1}   libtorch {Median(torchRates[i]),7:F1} {torchRates[i].Max(),7:F1}"));
        return 0;
    }

    private static double Rate(Action action, double flop)
    {
        var watch = Stopwatch.StartNew();
        var calls = 0;
        do
        {
            action();
            calls++;
        }
        while (watch.Elapsed.TotalSeconds < 0.2);
        return flop * calls / watch.Elapsed.TotalSeconds / 1e9;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
