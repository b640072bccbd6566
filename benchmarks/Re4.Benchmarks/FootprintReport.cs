using System.Diagnostics;
using Re4.Recommenders.Data;

namespace Re4.Benchmarks;

/// <summary>
/// Not a BenchmarkDotNet benchmark: loads one large ComiRec-format file once and reports lines/s and the bytes per
/// interaction that the loaded <see cref="SequenceDataset"/> keeps (managed heap after a full GC, before vs after), plus
/// the process's peak working set. <c>footprint [--lines N]</c>; default 20 million lines.
/// </summary>
public static class FootprintReport
{
    public static int Run(string[] args)
    {
        long lines = 20_000_000;
        for (var i = 0; i + 1 < args.Length; i++)
        {
            if (args[i] == "--lines") lines = long.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
        }

        var path = Path.Combine(Path.GetTempPath(), $"re4-footprint-{lines}.csv");
        if (!File.Exists(path))
        {
            Console.WriteLine($"writing {lines:N0} lines to {path} ...");
            // Taobao-like shape: ~1M users, ~4M items for 85M lines; scale users and items with the line count.
            SyntheticFiles.WriteInteractions(path, "comirec-csv", lines, users: (int)Math.Max(1000, lines / 85), items: (int)Math.Max(1000, lines / 21), seed: 3);
        }

        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var clock = Stopwatch.StartNew();
        var dataset = InteractionFileReader.Load(path, new LoadOptions { Reader = InteractionReaderRegistry.BuiltIn.Get("comirec-csv") });
        var seconds = clock.Elapsed.TotalSeconds;
        var after = GC.GetTotalMemory(forceFullCollection: true);
        var peak = Process.GetCurrentProcess().PeakWorkingSet64;
        var perInteraction = (double)(after - before) / dataset.InteractionCount;
        Console.WriteLine($"lines: {lines:N0}; users {dataset.UserCount:N0}, items {dataset.ItemCount:N0}, interactions {dataset.InteractionCount:N0}");
        Console.WriteLine($"load: {seconds:F2} s = {lines / seconds / 1e6:F2} M lines/s (one thread)");
        Console.WriteLine($"kept in memory: {(after - before) / 1e6:F1} MB = {perInteraction:F2} bytes per interaction");
        Console.WriteLine($"peak working set of the process: {peak / 1e6:F1} MB = {(double)peak / dataset.InteractionCount:F2} bytes per interaction");
        GC.KeepAlive(dataset);
        return 0;
    }
}
