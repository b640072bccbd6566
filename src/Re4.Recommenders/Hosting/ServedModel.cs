using Re4.Recommenders.Models;
using Re4.Recommenders.Scoring;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Hosting;

/// <summary>
/// One loaded model with its scorer and recommender, reference-counted so that a reload never frees a model under a
/// request: the service holds one reference while the model is current, each request one while it runs; the last
/// release frees the native memory.
/// </summary>
internal sealed class ServedModel
{
    private readonly LoadedModel _loaded;
    private readonly IDisposable? _ownedScorer;
    private readonly Action _freed;
    private int _references = 1;   // the service's: dropped when the model is replaced or the service disposed

    private ServedModel(LoadedModel loaded, ICandidateScorer scorer, ServedModelInfo info, string fingerprint, Action freed)
    {
        _loaded = loaded;
        Scorer = scorer;
        _ownedScorer = scorer as IDisposable;
        Recommender = new MultiInterestRecommender(loaded.Model, scorer, info.Name);
        Info = info;
        Fingerprint = fingerprint;
        _freed = freed;
    }

    public ServedModelInfo Info { get; }

    public ICandidateScorer Scorer { get; }

    /// <summary>Encodes histories; borrows the model and the scorer.</summary>
    public MultiInterestRecommender Recommender { get; }

    /// <summary>The model folder's files (sizes and write times) when it was read, to notice a replacement.</summary>
    public string Fingerprint { get; }

    public int ItemCount => Info.Config.ItemCount;

    public bool TryGetItem(long originalId, out int item) => _loaded.TryGetItem(originalId, out item);

    public bool TryGetItem(string originalId, out int item) => _loaded.TryGetItem(originalId, out item);

    /// <summary>Whether every original id is a number.</summary>
    public bool IsNumeric => _loaded.ItemIds.IsNumeric;

    public long OriginalItemId(int item) => _loaded.OriginalItemId(item);

    /// <summary>The original id of dense item <paramref name="item"/> as text.</summary>
    public string ItemKey(int item) => _loaded.ItemIds[item];

    /// <summary>Loads the model at <paramref name="path"/> (a model folder or a run folder) as the options say.</summary>
    /// <param name="options">Validated options.</param>
    /// <param name="path">Where to load from.</param>
    /// <param name="version">The version number the model will carry.</param>
    /// <param name="freed">Called once, when the model's native memory has been freed.</param>
    /// <exception cref="InvalidDataException">The folder holds no readable model.</exception>
    /// <exception cref="InvalidOperationException">The device is CUDA and no CUDA device is available.</exception>
    public static ServedModel Load(Re4RecommenderOptions options, string path, int version, Action freed)
    {
        Re4RecommenderOptions.TryParseDevice(options.Device, out var device);
        if (device is { type: DeviceType.CUDA } && !cuda.is_available())
            throw new InvalidOperationException($"{nameof(Re4RecommenderOptions)}.{nameof(Re4RecommenderOptions.Device)} is '{options.Device}', but TorchSharp sees no CUDA device: reference a CUDA backend (e.g. TorchSharp-cuda-linux) in the app, or serve on the CPU.");
        var directory = ModelCheckpoint.FindModelDirectory(path);
        // Read before the files, so that a replacement during the load is noticed at the next look.
        var fingerprint = FingerprintOf(directory);
        var loaded = ModelCheckpoint.Load(directory, options.CustomExtractor, device);
        ICandidateScorer? scorer = null;
        try
        {
            scorer = CreateScorer(options, loaded.Model);
            var config = loaded.Model.Config;
            var info = new ServedModelInfo(config.Label ?? config.Encoder, config, directory, version, DateTimeOffset.UtcNow,
                device is null ? "cpu" : device.index < 0 ? "cuda" : $"cuda:{device.index}")
            {
                NumericItemIds = loaded.ItemIds.IsNumeric,
            };
            return new ServedModel(loaded, scorer, info, fingerprint, freed);
        }
        catch
        {
            (scorer as IDisposable)?.Dispose();
            loaded.Dispose();
            throw;
        }
    }

    /// <summary>The fingerprint the model folder at <paramref name="path"/> has now; null while it holds no model (e.g.
    /// in the instant a writer swaps folders).</summary>
    public static string? CurrentFingerprint(string path)
    {
        try
        {
            return FingerprintOf(ModelCheckpoint.FindModelDirectory(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string FingerprintOf(string directory) => string.Join(";",
        new[] { ModelCheckpoint.ConfigFile, ModelCheckpoint.WeightsFile, ModelCheckpoint.ItemIdsFile }.Select(name =>
        {
            var file = new FileInfo(Path.Combine(directory, name));
            return file.Exists ? $"{name}:{file.Length}:{file.LastWriteTimeUtc.Ticks}" : $"{name}:-";
        }));

    private static ICandidateScorer CreateScorer(Re4RecommenderOptions options, MultiInterestModel model)
    {
        if (options.ScorerFactory is { } factory)
            return factory(model) ?? throw new InvalidOperationException($"{nameof(Re4RecommenderOptions)}.{nameof(Re4RecommenderOptions.ScorerFactory)} returned null.");
        switch (options.Scorer)
        {
            case ServingScorer.Managed:
                return new ManagedCandidateScorer(MultiInterestRecommender.ItemTable(model));
            case ServingScorer.Torch:
            {
                // Each read of ItemEmbeddings wraps the weight in a new handle; the scope frees the handle, the scorer
                // keeps its own copy.
                using var scope = NewDisposeScope();
                return new TorchCandidateScorer(model.ItemEmbeddings);
            }

            default:
                return MultiInterestRecommender.DefaultScorer(model);
        }
    }

    /// <summary>Takes a reference for a request; false once the model has been freed (the caller reads the service's
    /// current model again).</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            var references = Volatile.Read(ref _references);
            if (references == 0) return false;
            if (Interlocked.CompareExchange(ref _references, references + 1, references) == references) return true;
        }
    }

    /// <summary>Drops a reference; the last one frees the scorer and the model.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) != 0) return;
        Recommender.Dispose();
        _ownedScorer?.Dispose();
        _loaded.Dispose();
        _freed();
    }
}
