using Re4.Recommenders.Data;
using Re4.Recommenders.Evaluation;
using Re4.Recommenders.Scoring;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Models;

/// <summary>
/// Serves a trained <see cref="MultiInterestModel"/>: encodes histories into K retrieval vectors on the model's device,
/// then retrieves candidates through an <see cref="ICandidateScorer"/> (max over interests, top N).
/// </summary>
/// <remarks>
/// <para>Ownership: the recommender borrows the model and a scorer it is given (whoever created them disposes them, after
/// the recommender), and owns the scorer it creates itself, which holds a copy of the item table (on CUDA, in device
/// memory): dispose the recommender to free it.</para>
/// <para>Thread-safe: the encoder runs under a lock (TorchSharp modules are not re-entrant), the scorer concurrently.
/// The scorer holds a snapshot of the item table taken at construction: build a new recommender after more training.</para>
/// </remarks>
public sealed class MultiInterestRecommender : IRecommender, IDisposable
{
    private readonly MultiInterestModel _model;
    private readonly ICandidateScorer _scorer;
    private readonly IDisposable? _ownedScorer;
    private readonly object _gate = new();

    /// <summary>Serves <paramref name="model"/> (borrowed) with the fastest exact scorer for its device, over a snapshot of
    /// its item table: <see cref="TorchCandidateScorer"/> on CUDA, <see cref="ManagedCandidateScorer"/> on the CPU (its
    /// FMA kernel outruns libtorch's CPU matrix product; see docs/benchmarks.md). The recommender owns that scorer.</summary>
    public MultiInterestRecommender(MultiInterestModel model, string? name = null)
        : this(model, DefaultScorer, name)
    {
    }

    /// <summary>Serves <paramref name="model"/> with a given scorer (e.g. an ANN index over the same item ids). Both are
    /// borrowed: the recommender disposes neither.</summary>
    public MultiInterestRecommender(MultiInterestModel model, ICandidateScorer scorer, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(scorer);
        if (scorer.ItemCount != model.Config.ItemCount || scorer.Dimension != model.Config.Dimension)
            throw new ArgumentException($"The scorer's gallery ({scorer.ItemCount} items, d = {scorer.Dimension}) does not match the model ({model.Config.ItemCount} items, d = {model.Config.Dimension}).", nameof(scorer));
        _model = model;
        _scorer = scorer;
        Name = name ?? model.Config.Encoder;
    }

    /// <summary>Serves <paramref name="model"/> (borrowed) with the scorer <paramref name="createScorer"/> makes for it,
    /// which the recommender owns and disposes.</summary>
    internal MultiInterestRecommender(MultiInterestModel model, Func<MultiInterestModel, ICandidateScorer> createScorer, string? name = null)
        : this(model, (createScorer ?? throw new ArgumentNullException(nameof(createScorer)))(model ?? throw new ArgumentNullException(nameof(model))), name)
    {
        _ownedScorer = _scorer as IDisposable;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public int ItemCount => _model.Config.ItemCount;

    /// <summary>The scorer the single-argument constructor creates: Torch on CUDA, managed elsewhere.</summary>
    internal static ICandidateScorer DefaultScorer(MultiInterestModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        // Each read of ItemEmbeddings wraps the weight in a new handle: the scope releases it (the weight stays).
        using var scope = NewDisposeScope();
        var weight = model.ItemEmbeddings;
        return weight.device_type == DeviceType.CUDA ? new TorchCandidateScorer(weight) : new ManagedCandidateScorer(ItemTable(model));
    }

    /// <summary>Frees the scorer the recommender created (not the model, nor a scorer it was given).</summary>
    public void Dispose() => _ownedScorer?.Dispose();

    /// <summary>A CPU copy of the model's item table, <c>[N + 1, d]</c>.</summary>
    public static ItemEmbeddingTable ItemTable(MultiInterestModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        var data = model.ItemEmbeddings.detach().cpu().contiguous().data<float>().ToArray();
        return new ItemEmbeddingTable(data, model.Config.Dimension);
    }

    /// <summary>The retrieval vectors U of each history, row-major <c>[B, K, d]</c> on managed memory.</summary>
    public float[] InterestVectors(HistoryBatch histories)
    {
        if (histories.Count == 0) return [];
        var ids = _model.HistoryIds(histories, out var l);   // [B, L]

        lock (_gate)
        {
            var wasTraining = _model.training;
            _model.eval();
            try
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                var device = _model.ItemEmbeddings.device;
                var input = tensor(ids, [histories.Count, l], device: device);
                var (output, _, _) = _model.Encode(input);
                return output.RetrievalInterests.detach().cpu().contiguous().data<float>().ToArray();
            }
            finally
            {
                _model.train(wasTraining);
            }
        }
    }

    /// <summary>Top-N with scores and the winning interest of each item.</summary>
    public CandidateResult Retrieve(HistoryBatch histories, int topN, bool excludeHistory, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(topN);
        var vectors = InterestVectors(histories);
        var query = new CandidateQuery(vectors, histories.Count, _model.Config.EffectiveInterests, excludeHistory ? histories : null);
        return _scorer.Retrieve(query, topN, cancellationToken);
    }

    /// <inheritdoc />
    public void Recommend(HistoryBatch histories, int topN, bool excludeHistory, Span<int> items, Span<float> scores, CancellationToken cancellationToken = default)
    {
        var needed = histories.Count * topN;
        if (items.Length < needed || scores.Length < needed)
            throw new ArgumentException($"Outputs need {needed} slots ({histories.Count} users × {topN}).");
        if (histories.Count == 0) return;
        var result = Retrieve(histories, topN, excludeHistory, cancellationToken);
        result.Items.AsSpan(0, needed).CopyTo(items);
        result.Scores.AsSpan(0, needed).CopyTo(scores);
    }
}
