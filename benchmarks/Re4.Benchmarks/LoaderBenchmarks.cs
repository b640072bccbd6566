using BenchmarkDotNet.Attributes;
using Re4.Recommenders.Data;

namespace Re4.Benchmarks;

/// <summary>Parsing throughput of the interaction formats: a whole load (parse, intern ids, group by user, sort by
/// time) of a 2-million-line file. With OperationsPerInvoke = lines, BenchmarkDotNet's "Mean" is the time per line;
/// lines/s = 1e9 / Mean[ns].</summary>
[MemoryDiagnoser]
public class LoaderBenchmarks
{
    public const int Lines = 2_000_000;
    private string _path = string.Empty;

    [Params("comirec-csv", "taobao", "movielens-tsv", "movielens-dat")]
    public string Format { get; set; } = "comirec-csv";

    [GlobalSetup]
    public void Setup()
    {
        _path = Path.Combine(Path.GetTempPath(), $"re4-bench-{Format}-{Lines}.txt");
        if (!File.Exists(_path)) SyntheticFiles.WriteInteractions(_path, Format, Lines, users: 50_000, items: 200_000, seed: 7);
    }

    [Benchmark(OperationsPerInvoke = Lines)]
    public long Load() => InteractionFileReader.Load(_path, new LoadOptions { Reader = InteractionReaderRegistry.BuiltIn.Get(Format) }).InteractionCount;
}

/// <summary>Writes interaction files of a given format (a built-in reader's name) with random users, items and increasing timestamps.</summary>
public static class SyntheticFiles
{
    public static void WriteInteractions(string path, string format, long lines, int users, int items, int seed)
    {
        var rng = new Random(seed);
        var temp = path + ".tmp";
        using (var w = new StreamWriter(temp, false, new System.Text.UTF8Encoding(false), 1 << 20))
        {
            w.NewLine = "\n";
            long time = 1_500_000_000;
            string[] behaviors = ["pv", "pv", "pv", "pv", "pv", "pv", "cart", "fav", "buy"];
            for (long i = 0; i < lines; i++)
            {
                var u = rng.Next(users) + 1;
                var it = rng.Next(items) + 1;
                time += rng.Next(3);
                switch (format)
                {
                    case "comirec-csv": w.Write(u); w.Write(','); w.Write(it); w.Write(','); w.Write(time); break;
                    case "taobao": w.Write(u); w.Write(','); w.Write(it); w.Write(','); w.Write(it % 9439); w.Write(','); w.Write(behaviors[i % behaviors.Length]); w.Write(','); w.Write(time); break;
                    case "movielens-tsv": w.Write(u); w.Write('\t'); w.Write(it); w.Write('\t'); w.Write(1 + (i % 5)); w.Write('\t'); w.Write(time); break;
                    case "movielens-dat": w.Write(u); w.Write("::"); w.Write(it); w.Write("::"); w.Write(1 + (i % 5)); w.Write("::"); w.Write(time); break;
                    default: throw new ArgumentOutOfRangeException(nameof(format));
                }

                w.Write('\n');
            }
        }

        File.Move(temp, path, overwrite: true);
    }
}
