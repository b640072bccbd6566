using System.Diagnostics;
using Re4.Recommenders.Data;

namespace Re4.Benchmarks;

/// <summary>
/// Not a BenchmarkDotNet benchmark: loads one large ComiRec-format file once and reports lines/s and the bytes per
/// interaction that the loaded <see cref="SequenceDataset"/> keeps (managed heap after a full GC, before vs after), plus
/// the process's peak working set, also less the resident set just before loading (the loading peak itself).
/// <c>footprint [--lines N] [--file PATH]</c>; default 20 million lines; <c>--file</c> loads an existing ComiRec CSV
/// (for example one written by <c>re4 generate --shape taobao</c>) instead of writing one.
/// </summary>
public static class FootprintReport
{
    public static int Run(string[] args)
    {
        long lines = 20_000_000;
        string? file = null;
        for (var i = 0; i + 1 < args.Length; i++)
        {
            if (args[i] == "--lines") lines = long.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
            if (args[i] == "--file") file = args[i + 1];
        }

        var path = file ?? Path.Combine(Path.GetTempPath(), $"re4-footprint-{lines}.csv");
        if (file is null && !File.Exists(path))
        {
            Console.WriteLine($"writing {lines:N0} lines to {path} ...");
            // Taobao-like shape: ~1M users, ~4M items for 85M lines; scale users and items with the line count.
            SyntheticFiles.WriteInteractions(path, "comirec-csv", lines, users: (int)Math.Max(1000, lines / 85), items: (int)Math.Max(1000, lines / 21), seed: 3);
        }

        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var baseline = ResetPeak();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var dataset = InteractionFileReader.Load(path, new LoadOptions { Reader = InteractionReaderRegistry.BuiltIn.Get("comirec-csv") });
        var seconds = clock.Elapsed.TotalSeconds;
        var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        var after = GC.GetTotalMemory(forceFullCollection: true);
        var peak = Process.GetCurrentProcess().PeakWorkingSet64;
        var perInteraction = (double)(after - before) / dataset.InteractionCount;
        if (file is not null) lines = dataset.InteractionCount;
        Console.WriteLine($"lines: {lines:N0}; users {dataset.UserCount:N0}, items {dataset.ItemCount:N0}, interactions {dataset.InteractionCount:N0}");
        Console.WriteLine($"load: {seconds:F2} s = {lines / seconds / 1e6:F2} M lines/s (one thread)");
        // CPU time (this process, all threads: the loader's one plus the runtime's) tells the loader's cost when other
        // processes share the cores and stretch the wall time.
        Console.WriteLine($"cpu: {cpuSeconds:F2} s = {lines / cpuSeconds / 1e6:F2} M lines per CPU second");
        Console.WriteLine($"kept in memory: {(after - before) / 1e6:F1} MB = {perInteraction:F2} bytes per interaction");
        Console.WriteLine($"peak working set of the process: {peak / 1e6:F1} MB = {(double)peak / dataset.InteractionCount:F2} bytes per interaction");
        if (baseline > 0)
        {
            var rise = peak - baseline;
            Console.WriteLine($"loading peak (peak resident set less the {baseline / 1e6:F1} MB resident before loading): {rise / 1e6:F1} MB = {(double)rise / dataset.InteractionCount:F2} bytes per interaction");
        }

        GC.KeepAlive(dataset);
        return 0;
    }

    /// <summary>Linux: resets the peak resident set (VmHWM) to the current one and returns the current one; 0 elsewhere.</summary>
    private static long ResetPeak()
    {
        if (!OperatingSystem.IsLinux()) return 0;
        File.WriteAllText("/proc/self/clear_refs", "5");
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }
}
