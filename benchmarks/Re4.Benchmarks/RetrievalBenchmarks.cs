using BenchmarkDotNet.Attributes;
using Re4.Recommenders.Scoring;

namespace Re4.Benchmarks;

/// <summary>The evaluation's retrieval step: exact top-50 by max over K interests for a batch of users against the whole
/// gallery (12,101 items is Amazon Beauty's catalogue), d = 64.</summary>
[MemoryDiagnoser]
public class RetrievalBenchmarks
{
    private ManagedCandidateScorer _scorer = null!;
    private CandidateQuery _query = null!;

    [Params(12_101)]
    public int Items { get; set; }

    [Params(4)]
    public int Interests { get; set; }

    [Params(1, 256)]
    public int Users { get; set; }

    public const int Dimension = 64;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(11);
        var table = new float[(Items + 1) * Dimension];
        for (var i = Dimension; i < table.Length; i++) table[i] = (float)(rng.NextDouble() * 2 - 1);
        _scorer = new ManagedCandidateScorer(new ItemEmbeddingTable(table, Dimension));
        var q = new float[Users * Interests * Dimension];
        for (var i = 0; i < q.Length; i++) q[i] = (float)(rng.NextDouble() * 2 - 1);
        _query = new CandidateQuery(q, Users, Interests);
    }

    [Benchmark]
    public int RetrieveTop50() => _scorer.Retrieve(_query, 50).Items[0];
}
