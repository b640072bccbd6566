using BenchmarkDotNet.Running;

namespace Re4.Benchmarks;

public static class Program
{
    /// <summary><c>footprint [--lines N]</c> runs the one-shot load/memory report, <c>usearch [--items N ...]</c> the USearch
    /// against exact retrieval report, <c>logits</c> the logits kernels' report; anything else goes to BenchmarkDotNet
    /// (e.g. <c>--filter *LoaderBenchmarks*</c>).</summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "footprint") return FootprintReport.Run(args[1..]);
        if (args.Length > 0 && args[0] == "usearch") return USearchReport.Run(args[1..]);
        if (args.Length > 0 && args[0] == "logits") return LogitsReport.Run(args[1..]);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
