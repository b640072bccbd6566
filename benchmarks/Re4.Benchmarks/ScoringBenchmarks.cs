using System.Globalization;
using BenchmarkDotNet.Attributes;
using Re4.Recommenders.Scoring;

namespace Re4.Benchmarks;

/// <summary>
/// Exact top-50 retrieval at catalogue scale: galleries of 10k, 368k (Amazon Books) and 1.7M (Taobao) items, d = 64,
/// K = 4 and 8 interests, batches of 1, 128 and 1024 users, both scorers. One operation is one batch:
/// users/s = Users · 1e9 / Mean[ns], GFLOP/s = 2·Users·K·Items·64 / Mean[ns].
/// </summary>
/// <remarks>The full grid is 36 cases and the largest take tens of seconds per operation, so each case runs one
/// warm-up and three measured iterations. Environment variables narrow the grid (comma-separated):
/// <c>RE4_BENCH_ITEMS</c>, <c>RE4_BENCH_INTERESTS</c>, <c>RE4_BENCH_USERS</c>, <c>RE4_BENCH_SCORERS</c>
/// (<c>Managed</c>, <c>Torch</c>).</remarks>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 3, invocationCount: 1)]
public class ScoringBenchmarks
{
    public const int Dimension = 64;
    public const int TopN = 50;

    private ICandidateScorer _scorer = null!;
    private CandidateQuery _query = null!;

    public enum ScorerKind
    {
        Managed,
        Torch,
    }

    [ParamsSource(nameof(ItemSizes))]
    public int Items { get; set; }

    [ParamsSource(nameof(InterestCounts))]
    public int Interests { get; set; }

    [ParamsSource(nameof(UserCounts))]
    public int Users { get; set; }

    [ParamsSource(nameof(ScorerKinds))]
    public ScorerKind Scorer { get; set; }

    public static IEnumerable<int> ItemSizes() => Ints("RE4_BENCH_ITEMS", [10_000, 368_000, 1_700_000]);

    public static IEnumerable<int> InterestCounts() => Ints("RE4_BENCH_INTERESTS", [4, 8]);

    public static IEnumerable<int> UserCounts() => Ints("RE4_BENCH_USERS", [1, 128, 1024]);

    public static IEnumerable<ScorerKind> ScorerKinds() =>
        Environment.GetEnvironmentVariable("RE4_BENCH_SCORERS") is { Length: > 0 } text
            ? text.Split(',').Select(s => Enum.Parse<ScorerKind>(s.Trim(), ignoreCase: true))
            : [ScorerKind.Managed, ScorerKind.Torch];

    private static IEnumerable<int> Ints(string variable, int[] fallback) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } text
            ? text.Split(',').Select(s => int.Parse(s.Trim(), CultureInfo.InvariantCulture))
            : fallback;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(11);
        var table = new float[(Items + 1) * Dimension];
        for (var i = Dimension; i < table.Length; i++) table[i] = (float)(rng.NextDouble() * 2 - 1);
        var gallery = new ItemEmbeddingTable(table, Dimension);
        _scorer = Scorer == ScorerKind.Managed ? new ManagedCandidateScorer(gallery) : new TorchCandidateScorer(gallery);
        var q = new float[Users * Interests * Dimension];
        for (var i = 0; i < q.Length; i++) q[i] = (float)(rng.NextDouble() * 2 - 1);
        _query = new CandidateQuery(q, Users, Interests);
    }

    [GlobalCleanup]
    public void Cleanup() => (_scorer as IDisposable)?.Dispose();

    [Benchmark]
    public int RetrieveTop50() => _scorer.Retrieve(_query, TopN).Items[0];
}
