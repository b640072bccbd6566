using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Re4.Recommenders.Data;
using Re4.Recommenders.Models;
using Re4.Recommenders.Scoring;

namespace Re4.Recommenders.Hosting;

/// <summary>
/// Serves a trained checkpoint to an application: loads it once, then answers requests for histories given in the
/// data's original item ids, under the request policy of its <see cref="Re4RecommenderOptions"/> (unknown items, the
/// popular-items fallback, exclusions). Any model this library trains can be served (ComiRec-SA/-DR, MIND, Re4, the
/// single-interest baselines). Hot-reloadable: <see cref="Reload"/> (or <see cref="Re4RecommenderOptions.WatchInterval"/>)
/// swaps in a new model without dropping a request. Register it with <see cref="Re4RecommenderServiceCollectionExtensions"/>
/// or create it directly.
/// </summary>
/// <remarks>Thread-safe: requests may run concurrently with each other and with reloads. Each request runs entirely on
/// the model that was current when it started; a replaced model's native memory is freed when its last request ends.
/// Encoding a history takes a per-model lock (TorchSharp modules are not re-entrant) and is short; scoring the
/// catalogue, the costly part, runs concurrently. Dispose to free the model (a DI container does this for you).</remarks>
public sealed class Re4RecommenderService : IRe4Recommender, IDisposable
{
    private readonly Re4RecommenderOptions _options;
    private readonly ILogger _logger;
    private readonly object _reloadGate = new();   // one reload (or watch look, or dispose) at a time
    private readonly Timer? _watch;
    private ServedModel? _current;
    private string _checkpointPath;
    private string? _failedFingerprint;
    private int _liveModels;
    private bool _disposed;

    /// <summary>Serves the checkpoint at <paramref name="checkpointPath"/> on the CPU with the default options.</summary>
    public Re4RecommenderService(string checkpointPath)
        : this(new Re4RecommenderOptions { CheckpointPath = checkpointPath })
    {
    }

    /// <summary>Serves the checkpoint the options name (validated here; the checkpoint is loaded here).</summary>
    /// <param name="options">What to serve.</param>
    /// <param name="logger">Where loads and reloads are reported; null for nowhere.</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="InvalidDataException">The checkpoint is missing, incomplete or of another format.</exception>
    /// <exception cref="InvalidOperationException">The device is CUDA and no CUDA device is available.</exception>
    public Re4RecommenderService(Re4RecommenderOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options.Clone();
        _logger = logger ?? NullLogger.Instance;
        _checkpointPath = _options.CheckpointPath!;
        _current = Load(_checkpointPath, version: 1);
        if (_options.WatchInterval is { } interval)
            _watch = new Timer(_ => LookForNewModel(), null, interval, interval);
    }

    /// <summary>The served model's name: its preset label, else its encoder's registry name.</summary>
    public string Name => Model.Name;

    /// <summary>The served model's architecture.</summary>
    public ModelConfig Config => Model.Config;

    /// <inheritdoc />
    public ServedModelInfo Model => (Volatile.Read(ref _current) ?? throw Disposed()).Info;

    /// <inheritdoc />
    public int MaxTop => _options.MaxTop;

    /// <summary>Where the service loads from: the options' checkpoint path, or the last path given to
    /// <see cref="Reload"/>.</summary>
    public string CheckpointPath => Volatile.Read(ref _checkpointPath);

    /// <summary>Why the last reload failed (the previous model still answers), or null after a successful load.</summary>
    public string? LastReloadError { get; private set; }

    /// <summary>Models loaded and not yet freed: 1, or more while requests finish on replaced models.</summary>
    internal int LiveModelCount => Volatile.Read(ref _liveModels);

    /// <inheritdoc />
    public bool Knows(long itemId)
    {
        var model = Acquire();
        try
        {
            return model.TryGetItem(itemId, out _);
        }
        finally
        {
            model.Release();
        }
    }

    /// <inheritdoc />
    public bool Knows(string itemKey)
    {
        ArgumentNullException.ThrowIfNull(itemKey);
        var model = Acquire();
        try
        {
            return model.TryGetItem(itemKey, out _);
        }
        finally
        {
            model.Release();
        }
    }

    /// <summary>The <paramref name="top"/> best items for a history of text ids (any checkpoint), with the service's
    /// policies; the answer's <see cref="Recommendation.ItemKeys"/> hold the items.</summary>
    /// <param name="history">Original item ids as text, oldest first; only the model's last L count. Empty: the popular
    /// items.</param>
    /// <param name="top">How many items, 1..<see cref="MaxTop"/>.</param>
    /// <param name="cancellationToken">Stops scoring early.</param>
    /// <exception cref="UnknownItemsException">The history holds unknown items (all are named) under
    /// <see cref="UnknownItemPolicy.Reject"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="top"/> is out of range.</exception>
    public Recommendation RecommendKeys(IReadOnlyList<string> history, int top, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(history);
        CheckTop(top, nameof(top));
        return Recommend(RecommendationRequest.ForKeys(history, top), cancellationToken);
    }

    /// <summary>The <paramref name="top"/> best items for a history, with the service's policies. For a checkpoint with
    /// text ids, use <see cref="RecommendKeys"/>: this answer's <see cref="Recommendation.Items"/> cannot hold them.</summary>
    /// <param name="history">Original item ids, oldest first; only the model's last L count. Empty: the popular items.</param>
    /// <param name="top">How many items, 1..<see cref="MaxTop"/>.</param>
    /// <param name="cancellationToken">Stops scoring early.</param>
    /// <exception cref="UnknownItemsException">The history holds unknown items (all are named) under
    /// <see cref="UnknownItemPolicy.Reject"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="top"/> is out of range.</exception>
    public Recommendation Recommend(IReadOnlyList<long> history, int top, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(history);
        CheckTop(top, nameof(top));
        return Recommend(new RecommendationRequest(history, top), cancellationToken);
    }

    /// <inheritdoc />
    public Recommendation Recommend(RecommendationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return RecommendBatch([request], cancellationToken, single: true)[0];
    }

    /// <inheritdoc />
    public IReadOnlyList<Recommendation> RecommendBatch(IReadOnlyList<RecommendationRequest> requests, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        return RecommendBatch(requests, cancellationToken, single: false);
    }

    /// <summary>Loads the model at <paramref name="checkpointPath"/> (a model or run folder; the current path when null)
    /// and makes it the one that answers. Requests already running finish on the previous model, which is freed when
    /// the last of them ends. When the load fails, the previous model keeps answering and the error is thrown (and kept
    /// in <see cref="LastReloadError"/>).</summary>
    /// <returns>The new model.</returns>
    /// <exception cref="InvalidDataException">The folder holds no readable model.</exception>
    public ServedModelInfo Reload(string? checkpointPath = null)
    {
        lock (_reloadGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return ReloadLocked(string.IsNullOrWhiteSpace(checkpointPath) ? _checkpointPath : checkpointPath);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_reloadGate)
        {
            if (_disposed) return;
            _disposed = true;
            _watch?.Dispose();
            Interlocked.Exchange(ref _current, null)?.Release();
        }
    }

    private ServedModelInfo ReloadLocked(string path)
    {
        var version = _current!.Info.Version + 1;
        ServedModel next;
        try
        {
            next = Load(path, version);
        }
        catch (Exception e)
        {
            LastReloadError = $"{path}: {e.Message}";
            HostingLog.ReloadFailed(_logger, e, path, version - 1);
            throw;
        }

        LastReloadError = null;
        _failedFingerprint = null;
        Volatile.Write(ref _checkpointPath, path);
        // New requests take the new model from here on; the old one goes when its last request releases it.
        Interlocked.Exchange(ref _current, next)!.Release();
        return next.Info;
    }

    private ServedModel Load(string path, int version)
    {
        ServedModel model;
        try
        {
            model = ServedModel.Load(_options, path, version, () => Interlocked.Decrement(ref _liveModels));
        }
        catch (InvalidDataException e)
        {
            // The library's message says what is wrong with the folder; say which setting pointed there.
            throw new InvalidDataException($"{nameof(Re4RecommenderOptions)}.{nameof(Re4RecommenderOptions.CheckpointPath)}: {e.Message}", e);
        }

        Interlocked.Increment(ref _liveModels);
        var info = model.Info;
        HostingLog.ModelLoaded(_logger, info.Name, info.Version, info.Config.EffectiveInterests, info.Config.Dimension,
            info.ItemCount, info.ModelDirectory, info.Device);
        return model;
    }

    /// <summary>The watch timer's tick: reloads when the model folder's files changed since the current model was read
    /// (and not into a state that already failed to load). Skips the tick while a reload runs.</summary>
    private void LookForNewModel()
    {
        if (!Monitor.TryEnter(_reloadGate)) return;
        try
        {
            if (_disposed) return;
            var fingerprint = ServedModel.CurrentFingerprint(_checkpointPath);
            if (fingerprint is null || fingerprint == _current!.Fingerprint || fingerprint == _failedFingerprint) return;
            try
            {
                ReloadLocked(_checkpointPath);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or InvalidOperationException or UnauthorizedAccessException)
            {
                // Logged by ReloadLocked; do not retry the same files at every tick.
                _failedFingerprint = fingerprint;
            }
        }
        finally
        {
            Monitor.Exit(_reloadGate);
        }
    }

    private ServedModel Acquire()
    {
        while (true)
        {
            var model = Volatile.Read(ref _current) ?? throw Disposed();
            if (model.TryAcquire()) return model;
            // Freed between the read and the acquire: a reload replaced it; the next read sees the new one.
        }
    }

    private ObjectDisposedException Disposed() => new(nameof(Re4RecommenderService));

    private void CheckTop(int top, string paramName)
    {
        if (top <= 0 || top > _options.MaxTop)
            throw new ArgumentOutOfRangeException(paramName, top, $"top must be in 1..{_options.MaxTop} ({nameof(Re4RecommenderOptions)}.{nameof(Re4RecommenderOptions.MaxTop)}).");
    }

    private IReadOnlyList<Recommendation> RecommendBatch(IReadOnlyList<RecommendationRequest> requests, CancellationToken cancellationToken, bool single)
    {
        var paramName = single ? "request" : nameof(requests);
        for (var i = 0; i < requests.Count; i++)
        {
            var request = requests[i] ?? throw new ArgumentException($"requests[{i}] is null.", paramName);
            CheckTop(request.Top, single ? nameof(RecommendationRequest.Top) : $"{paramName}[{i}].{nameof(RecommendationRequest.Top)}");
        }

        if (requests.Count == 0) return [];
        var model = Acquire();
        try
        {
            var prepared = new PreparedRequest[requests.Count];
            for (var i = 0; i < requests.Count; i++) prepared[i] = Prepare(model, requests[i], single ? null : i, paramName);
            var answers = new Recommendation[requests.Count];
            var personal = Enumerable.Range(0, requests.Count).Where(i => prepared[i].History.Length > 0).ToArray();
            if (personal.Length > 0) Personal(model, prepared, personal, answers, cancellationToken);
            for (var i = 0; i < requests.Count; i++) answers[i] ??= Popular(model, prepared[i]);
            return answers;
        }
        finally
        {
            model.Release();
        }
    }

    /// <summary>Maps a request's history to dense ids under its unknown-item policy, and its exclusions.</summary>
    private PreparedRequest Prepare(ServedModel model, RecommendationRequest request, int? index, string paramName)
    {
        var history = new List<int>(request.HistoryKeys?.Count ?? request.History.Count);
        List<long>? unknown = null;
        List<string>? unknownKeys = null;
        if (request.HistoryKeys is { } keys)
        {
            foreach (var key in keys)
            {
                if (key is null)
                    throw new ArgumentException("A history item id is null: expected an original item id.", index is null ? $"{paramName}.{nameof(RecommendationRequest.HistoryKeys)}" : $"{paramName}[{index}].{nameof(RecommendationRequest.HistoryKeys)}");
                if (model.TryGetItem(key, out var item)) history.Add(item);
                else (unknownKeys ??= new()).Add(key);
            }
        }
        else
        {
            foreach (var id in request.History)
            {
                if (model.TryGetItem(id, out var item)) history.Add(item);
                else
                {
                    (unknown ??= new()).Add(id);
                    (unknownKeys ??= new()).Add(OriginalIdText.Format(id));
                }
            }
        }

        var policy = request.UnknownItems ?? _options.UnknownItems;
        if (unknownKeys is not null && policy == UnknownItemPolicy.Reject)
        {
            var member = request.HistoryKeys is null ? nameof(RecommendationRequest.History) : nameof(RecommendationRequest.HistoryKeys);
            var name = index is null ? $"{paramName}.{member}" : $"{paramName}[{index}].{member}";
            throw unknown is not null ? new UnknownItemsException(unknown, name, index) : new UnknownItemsException(unknownKeys, name, index);
        }

        if (request.ExcludeWhere is not null && !model.IsNumeric)
            throw new InvalidOperationException($"The served checkpoint's item ids are text, so {nameof(RecommendationRequest)}.{nameof(RecommendationRequest.ExcludeWhere)} (numeric ids) cannot be applied: use {nameof(RecommendationRequest.ExcludeKeyWhere)}.");

        var exclude = new HashSet<int>();
        if (_options.ExcludeHistory) exclude.UnionWith(history);
        if (request.ExcludeItems is { } items)
        {
            foreach (var id in items)
            {
                if (model.TryGetItem(id, out var item)) exclude.Add(item);
            }
        }

        if (request.ExcludeKeys is { } excludeKeys)
        {
            foreach (var key in excludeKeys)
            {
                if (key is not null && model.TryGetItem(key, out var item)) exclude.Add(item);
            }
        }

        return new PreparedRequest(request, history.ToArray(), [.. exclude], unknown ?? [], unknownKeys ?? []);
    }

    /// <summary>Encodes the histories with known items together and retrieves each one's list; a request whose
    /// predicate rejects too many candidates is retrieved again alone with a deeper list.</summary>
    private static void Personal(ServedModel model, PreparedRequest[] prepared, int[] personal, Recommendation[] answers, CancellationToken cancellationToken)
    {
        var histories = HistoryBatch.FromHistories(personal.Select(i => prepared[i].History).ToArray());
        var vectors = model.Recommender.InterestVectors(histories);   // [B, K, d]
        var k = model.Info.Config.EffectiveInterests;
        var exclude = HistoryBatch.FromHistories(personal.Select(i => prepared[i].Exclude).ToArray());
        var depth = personal.Max(i => FirstDepth(prepared[i].Request, model.ItemCount));
        var result = model.Scorer.Retrieve(new CandidateQuery(vectors, personal.Length, k, exclude), depth, cancellationToken);
        var perUser = vectors.Length / personal.Length;
        for (var b = 0; b < personal.Length; b++)
        {
            var p = prepared[personal[b]];
            var (rowResult, row, rowDepth) = (result, b, depth);
            while (true)
            {
                if (Collect(model, p, rowResult, row, rowDepth) is { } answer)
                {
                    answers[personal[b]] = answer;
                    break;
                }

                // The predicate left fewer than top items and the catalogue has more: look four times deeper.
                rowDepth = (int)Math.Min(model.ItemCount, rowDepth * 4L);
                var query = new CandidateQuery(vectors.AsMemory(b * perUser, perUser), 1, k, HistoryBatch.FromHistories([p.Exclude]));
                (rowResult, row) = (model.Scorer.Retrieve(query, rowDepth, cancellationToken), 0);
            }
        }
    }

    /// <summary>How deep the first retrieval goes: <c>top</c>, or twice that when a predicate will reject some.</summary>
    private static int FirstDepth(RecommendationRequest request, int itemCount) =>
        (int)Math.Min(itemCount, request.ExcludeWhere is null ? request.Top : request.Top * 2L);

    /// <summary>The answer from one row of a retrieval, or null when the predicate left fewer than top items and the
    /// catalogue has candidates deeper than the row (more may pass).</summary>
    private static Recommendation? Collect(ServedModel model, PreparedRequest p, CandidateResult result, int row, int depth)
    {
        var items = new List<int>(p.Request.Top);
        var scores = new List<float>(p.Request.Top);
        var interests = new List<int>(p.Request.Top);
        var slots = result.ItemsOf(row);
        var exhausted = depth >= model.ItemCount;
        for (var r = 0; r < slots.Length && items.Count < p.Request.Top; r++)
        {
            // Slots past the catalogue's end hold item 0: nothing deeper exists.
            if (slots[r] == 0)
            {
                exhausted = true;
                break;
            }

            if (Excluded(model, p.Request, slots[r])) continue;
            items.Add(slots[r]);
            scores.Add(result.Scores[row * result.TopN + r]);
            interests.Add(result.Interests[row * result.TopN + r]);
        }

        if (items.Count < p.Request.Top && !exhausted) return null;
        return Answer(model, p, items, scores, interests, fallback: false);
    }

    /// <summary>The fallback for a history with no known item: the most frequent training items first. The trainer's
    /// data comes from <see cref="DatasetPreparation.Prepare"/>, which numbers items 1..N by decreasing frequency, so
    /// ascending dense ids are the popularity order.</summary>
    private static Recommendation Popular(ServedModel model, PreparedRequest p)
    {
        var items = new List<int>(p.Request.Top);
        var excluded = p.Exclude.Length == 0 ? null : new HashSet<int>(p.Exclude);
        for (var item = 1; item <= model.ItemCount && items.Count < p.Request.Top; item++)
        {
            if (excluded?.Contains(item) == true) continue;
            if (Excluded(model, p.Request, item)) continue;
            items.Add(item);
        }

        return Answer(model, p, items, new float[items.Count], Enumerable.Repeat(-1, items.Count).ToArray(), fallback: true);
    }

    /// <summary>Whether the request's predicates leave dense item <paramref name="item"/> out.</summary>
    private static bool Excluded(ServedModel model, RecommendationRequest request, int item) =>
        request.ExcludeWhere?.Invoke(model.OriginalItemId(item)) == true
        || request.ExcludeKeyWhere?.Invoke(model.ItemKey(item)) == true;

    /// <summary>The answer for dense items <paramref name="items"/>, in original ids: text always, numbers when the
    /// checkpoint's ids are numbers.</summary>
    private static Recommendation Answer(ServedModel model, PreparedRequest p, List<int> items, IReadOnlyList<float> scores, IReadOnlyList<int> interests, bool fallback)
    {
        IReadOnlyList<long> numbers = model.IsNumeric ? items.Select(model.OriginalItemId).ToArray() : TextItemIds.Instance;
        return new Recommendation(numbers, scores, interests)
        {
            ItemKeys = items.Select(model.ItemKey).ToArray(),
            NumericItemIds = model.IsNumeric,
            IsFallback = fallback,
            SkippedItems = p.Unknown,
            SkippedKeys = p.UnknownKeys,
            ModelVersion = model.Info.Version,
        };
    }

    /// <summary>A request with its history and exclusions in dense ids.</summary>
    private sealed record PreparedRequest(RecommendationRequest Request, int[] History, int[] Exclude, IReadOnlyList<long> Unknown, IReadOnlyList<string> UnknownKeys);
}
