using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Re4.Recommenders.Data;
using Re4.Recommenders.Models;

namespace Re4.Recommenders.Hosting;

/// <summary>
/// Serves a trained checkpoint to an application: loads it once, then answers <see cref="Recommend"/> for histories
/// given in the data's original item ids. Any model this library trains can be served (ComiRec-SA/-DR, MIND, Re4, the
/// single-interest baselines). Register it with
/// <see cref="Re4RecommenderServiceCollectionExtensions.AddRe4Recommender(Microsoft.Extensions.DependencyInjection.IServiceCollection, string)"/>
/// or create it directly.
/// </summary>
/// <remarks>Thread-safe: <see cref="Recommend"/> may be called concurrently. Encoding a history takes a lock (TorchSharp
/// modules are not re-entrant) and is short; scoring the catalogue, the costly part, runs concurrently.
/// Dispose to free the model's native memory (a DI container does this for you).</remarks>
public sealed class Re4RecommenderService : IDisposable
{
    private readonly Re4RecommenderOptions _options;
    private readonly LoadedModel _loaded;
    private readonly MultiInterestRecommender _recommender;

    /// <summary>Serves the checkpoint at <paramref name="checkpointPath"/> on the CPU with the default options.</summary>
    public Re4RecommenderService(string checkpointPath)
        : this(new Re4RecommenderOptions { CheckpointPath = checkpointPath })
    {
    }

    /// <summary>Serves the checkpoint the options name (validated here; the checkpoint is loaded here).</summary>
    /// <param name="options">What to serve.</param>
    /// <param name="logger">Where the load is reported; null for nowhere.</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="InvalidDataException">The checkpoint is missing, incomplete or of another format.</exception>
    public Re4RecommenderService(Re4RecommenderOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options.Clone();
        var path = _options.CheckpointPath!;
        try
        {
            _loaded = ModelCheckpoint.Load(ModelCheckpoint.FindModelDirectory(path), _options.CustomExtractor, _options.Device);
        }
        catch (InvalidDataException e)
        {
            // The library's message says what is wrong with the folder; say which setting pointed there.
            throw new InvalidDataException($"{nameof(Re4RecommenderOptions)}.{nameof(Re4RecommenderOptions.CheckpointPath)}: {e.Message}", e);
        }

        var config = _loaded.Model.Config;
        Name = config.Label ?? config.Encoder;
        _recommender = new MultiInterestRecommender(_loaded.Model, Name);
        (logger ?? NullLogger.Instance).LogInformation("Serving {Model} (K = {K}, d = {D}) with {Items} items from {Path}",
            Name, config.EffectiveInterests, config.Dimension, config.ItemCount, path);
    }

    /// <summary>The served model's name: its preset label, else its encoder's registry name.</summary>
    public string Name { get; }

    /// <summary>The served model's architecture.</summary>
    public ModelConfig Config => _loaded.Model.Config;

    /// <summary>The largest <c>top</c> a call may ask for.</summary>
    public int MaxTop => _options.MaxTop;

    /// <summary>Whether the model knows the item with this original id (items unseen in training, or removed by the
    /// data filter, are unknown).</summary>
    public bool Knows(long itemId) => _loaded.TryGetItem(itemId, out _);

    /// <summary>The <paramref name="top"/> best items for a history.</summary>
    /// <param name="history">Original item ids, oldest first; only the model's last L count.</param>
    /// <param name="top">How many items, 1..<see cref="MaxTop"/>.</param>
    /// <param name="cancellationToken">Stops scoring early.</param>
    /// <exception cref="ArgumentException">The history is empty or holds an unknown item (all are named; the message is
    /// fit to show to whoever sent the history).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="top"/> is out of range.</exception>
    public Recommendation Recommend(IReadOnlyList<long> history, int top, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (top <= 0 || top > _options.MaxTop)
            throw new ArgumentOutOfRangeException(nameof(top), top, $"top must be in 1..{_options.MaxTop} ({nameof(Re4RecommenderOptions)}.{nameof(Re4RecommenderOptions.MaxTop)}).");
        // The two input errors below carry no parameter name, so that their messages can be shown to a caller as they are.
        if (history.Count == 0) throw new ArgumentException("The history is empty: a multi-interest model needs at least one item.");
        var dense = new int[history.Count];
        List<long>? unknown = null;
        for (var i = 0; i < history.Count; i++)
        {
            if (!_loaded.TryGetItem(history[i], out dense[i])) (unknown ??= new()).Add(history[i]);
        }

        if (unknown is not null)
            throw new ArgumentException($"The model does not know item{(unknown.Count > 1 ? "s" : string.Empty)} {string.Join(", ", unknown)} (unseen in training or removed by the data filter).");

        var result = _recommender.Retrieve(HistoryBatch.FromHistories([dense]), top, _options.ExcludeHistory, cancellationToken);
        // Slots past the catalogue's end hold item 0; the lists stop there.
        var count = 0;
        while (count < top && result.Items[count] != 0) count++;
        var items = new long[count];
        for (var r = 0; r < count; r++) items[r] = _loaded.OriginalItemId(result.Items[r]);
        return new Recommendation(items, result.Scores[..count], result.Interests[..count]);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _recommender.Dispose();   // borrows the model: freed first
        _loaded.Dispose();
    }
}
