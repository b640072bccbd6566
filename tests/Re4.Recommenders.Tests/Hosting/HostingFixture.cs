using Re4.Recommenders.Data;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Tests.Extractors;
using Re4.Recommenders.Training;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Hosting;

/// <summary>A small saved checkpoint (N = 8, d = 3, K = 2, L = 4) whose original item ids are far from the dense ones,
/// and the naive ranking a served history should get: every item scored by max over interests of ⟨u_k, e_j⟩ in double,
/// ties by the lower dense id, mapped to original ids.</summary>
internal sealed class HostingFixture : IDisposable
{
    public const int N = 8, D = 3, K = 2, L = 4;

    /// <summary>Original id of each dense id (index 0 is padding).</summary>
    public static readonly long[] OriginalIds = [0, 501, 77, 9000000001, 3, 42, 1000, 7, 65];

    private readonly TempDir _dir = new();

    public HostingFixture(int seed = 23)
    {
        manual_seed(seed);
        using var model = new MultiInterestModel(new ModelConfig { Encoder = ComiRecSaDescriptor.EncoderName, ItemCount = N, Dimension = D, Interests = K, MaxLength = L });
        Table = Naive.Values(model.ItemEmbeddings);
        // Run folder layout (the trainer's): the model sits in model/, which the service must find by itself.
        RunPath = _dir.Path;
        ModelCheckpoint.Save(Path.Combine(RunPath, MultiInterestTrainer.ModelFolder), model, OriginalIds);
        Model = ModelCheckpoint.Load(Path.Combine(RunPath, MultiInterestTrainer.ModelFolder)).Model;
    }

    public string RunPath { get; }

    /// <summary>An independent copy of the saved model, for the interest vectors of a history.</summary>
    public MultiInterestModel Model { get; }

    public float[] Table { get; }

    public static int Dense(long original) => Array.IndexOf(OriginalIds, original, 1);

    /// <summary>The expected (original id, score, interest) list of one history.</summary>
    public List<(long Item, double Score, int Interest)> Expected(long[] history, int top, bool excludeHistory) =>
        Expected(history, top, excludeHistory, _ => false);

    /// <summary>The expected list when the items <paramref name="excluded"/> says (original ids) are never returned.</summary>
    public List<(long Item, double Score, int Interest)> Expected(long[] history, int top, bool excludeHistory, Func<long, bool> excluded)
    {
        var dense = history.Select(Dense).ToArray();
        var vectors = new MultiInterestRecommender(Model).InterestVectors(HistoryBatch.FromHistories([dense]));
        var ranking = new List<(int Dense, double Score, int Interest)>();
        for (var item = 1; item <= N; item++)
        {
            if (excludeHistory && dense.Contains(item)) continue;
            if (excluded(OriginalIds[item])) continue;
            var best = double.NegativeInfinity;
            var winner = -1;
            for (var k = 0; k < K; k++)
            {
                var s = 0.0;
                for (var i = 0; i < D; i++) s += (double)vectors[k * D + i] * Table[item * D + i];
                if (s > best)
                {
                    best = s;
                    winner = k;
                }
            }

            ranking.Add((item, best, winner));
        }

        return ranking.OrderByDescending(r => r.Score).ThenBy(r => r.Dense).Take(top)
            .Select(r => (OriginalIds[r.Dense], r.Score, r.Interest)).ToList();
    }

    public void Dispose()
    {
        Model.Dispose();
        _dir.Dispose();
    }
}
