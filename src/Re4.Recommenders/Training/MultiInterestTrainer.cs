using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Data;
using Re4.Recommenders.Evaluation;
using Re4.Recommenders.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Training;

/// <summary>
/// Owns the training loop of a <see cref="MultiInterestModel"/>: batches from a sampler, the main loss, Adam, validation
/// every N steps with early stopping on a validation metric, the best model kept (in memory and, when asked, on disk with
/// a resume state), and the test users evaluated once at the end with the selected model.
/// </summary>
/// <remarks>
/// Deterministic for a seed on CPU: the weights come from torch's generator seeded here, the batches and negatives from
/// the library's own generators, and a resumed run continues on exactly the batches an uninterrupted one would see.
/// torch's generator is process-wide: code drawing from it on another thread while a trainer is built breaks that.
/// Not thread-safe. Dispose to free the model's and optimizer's native memory.
/// </remarks>
public sealed class MultiInterestTrainer : IDisposable
{
    /// <summary>The subfolder of <see cref="TrainerOptions.CheckpointDirectory"/> holding the selected model.</summary>
    public const string ModelFolder = "model";

    /// <summary>The subfolder of <see cref="TrainerOptions.CheckpointDirectory"/> holding the latest state, for resuming.</summary>
    public const string ResumeFolder = "resume";

    private const string StateFile = "trainer.json";
    private const string OptimizerFile = "adam.bin";
    private const string TorchSharpOptimizerFile = "optimizer.bin";   // TorchSharp Adam's state, written before the library had its own
    private const string RandomFile = "torch_rng.bin";
    private const string FlowsFile = "flows.bin";

    private readonly DataSplit _split;
    private readonly TrainerOptions _options;
    private readonly ILogger _logger;
    private readonly Device _device;
    private readonly MultiInterestModel _model;
    private readonly AdamOptimizer _optimizer;
    private readonly ITrainingSampler _sampler;
    private readonly Re4Random _negativeRandom;
    private readonly NegativeSampler? _negatives;
    private readonly long[] _originalItemIds;
    private readonly List<WeightedBackwardFlow> _flows = new();
    private readonly TorchSharp.Modules.ModuleList<nn.Module> _flowModules;   // flows with parameters, optimised and saved with the model
    private readonly List<ValidationRecord> _history = new();
    private readonly Dictionary<string, double> _lossSums = new();

    private Dictionary<string, Tensor>? _best;
    private IReadOnlyDictionary<string, double>? _bestValidation;
    private long _step;
    private long _samplerBatches;
    private long _bestStep;
    private double _bestMetric = double.NegativeInfinity;
    private int _validationsWithoutGain;
    private long _lastValidatedStep = -1;
    private long _stepsSinceValidation;
    private double _trainSeconds;

    /// <summary>Trains a model of the registered <paramref name="encoder"/> (e.g. <see cref="Extractors.ComiRecSaDescriptor.EncoderName"/>)
    /// with K = <paramref name="interests"/> and d = <paramref name="dimension"/>, everything else default.</summary>
    public MultiInterestTrainer(DataSplit split, string encoder, int interests = 4, int dimension = 64)
        : this(split, new ModelConfig { Encoder = encoder, ItemCount = (split ?? throw new ArgumentNullException(nameof(split))).Dataset.ItemCount, Interests = interests, Dimension = dimension, MaxLength = split.MaxLength })
    {
    }

    /// <summary>Trains a model of the given architecture on <paramref name="split"/>.</summary>
    /// <param name="split">Training sequences, validation and test users.</param>
    /// <param name="config">The architecture; its item count must be the data set's and its L at least the split's.</param>
    /// <param name="options">Training options (validated here); null for the defaults.</param>
    /// <param name="logger">Where progress is logged; null for none.</param>
    /// <param name="device">Where to train (CPU when null). CUDA needs the app to reference a CUDA backend of TorchSharp.</param>
    public MultiInterestTrainer(DataSplit split, ModelConfig config, TrainerOptions? options = null, ILogger? logger = null, Device? device = null)
        : this(split, null, config, options, logger, device)
    {
    }

    /// <summary>Trains a model you built, e.g. around an extractor of your own (see docs/extending.md). The trainer takes
    /// ownership of it (disposes it). Seed torch's generator before building the model if its initial weights should be
    /// reproducible: the trainer seeds it with <see cref="TrainerOptions.Seed"/> only for what it creates itself.</summary>
    /// <param name="split">Training sequences, validation and test users.</param>
    /// <param name="model">The model; its item count must be the data set's and its L at least the split's.</param>
    /// <param name="options">Training options (validated here); null for the defaults.</param>
    /// <param name="logger">Where progress is logged; null for none.</param>
    /// <param name="device">Where to train (CPU when null); the model is moved there.</param>
    /// <remarks><see cref="Resume"/> rebuilds models from their configuration, so it cannot resume a run of a
    /// model built around an extractor instance whose encoder is not registered.</remarks>
    public MultiInterestTrainer(DataSplit split, MultiInterestModel model, TrainerOptions? options = null, ILogger? logger = null, Device? device = null)
        : this(split, model ?? throw new ArgumentNullException(nameof(model)), model.Config, options, logger, device)
    {
    }

    private MultiInterestTrainer(DataSplit split, MultiInterestModel? model, ModelConfig config, TrainerOptions? options, ILogger? logger, Device? device)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(config);
        options ??= new TrainerOptions();
        options.Validate();
        config.Validate();
        if (config.ItemCount != split.Dataset.ItemCount)
            throw new ArgumentException($"The model has {config.ItemCount} items; the data set has {split.Dataset.ItemCount}.", nameof(config));
        if (config.MaxLength < split.MaxLength)
            throw new ArgumentException($"The model takes histories of at most {config.MaxLength} items; the split gives {split.MaxLength}.", nameof(config));
        _split = split;
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _device = device ?? CPU;
        _originalItemIds = new long[config.ItemCount + 1];
        for (var i = 1; i <= config.ItemCount; i++) _originalItemIds[i] = split.Dataset.OriginalItemId(i);

        manual_seed(options.Seed);
        _model = model ?? new MultiInterestModel(config);
        var flows = options.BackwardFlows;
        if (flows.Contrast is { } contrast) _flows.Add(new(new ReContrastFlow(contrast), contrast.Weight));
        if (flows.Attend is { } attend) _flows.Add(new(new ReAttendFlow(attend), attend.Weight));
        if (flows.Construct is { } construct) _flows.Add(new(new ReConstructFlow(config.Dimension, config.MaxLength, construct), construct.Weight));
        _flows.AddRange(options.CustomFlows);
        _flowModules = nn.ModuleList(_flows.Select(f => f.Flow).OfType<nn.Module>().ToArray());
        _model.to(_device);
        _model.train();
        _flowModules.to(_device);
        _flowModules.train();
        // The library's Adam, not TorchSharp's: TorchSharp 0.107's step() hands libtorch Scalars that a GC can free mid-call.
        _optimizer = new AdamOptimizer(_model.parameters().Concat(_flowModules.parameters()), options.LearningRate, weightDecay: options.WeightDecay);
        _sampler = options.Sampler == TrainingSamplerKind.RandomCut
            ? new RandomCutSampler(split, options.BatchSize, options.Seed, reverseHistory: config.ReverseHistory)
            : new EveryPrefixSampler(split, options.BatchSize, options.Seed, reverseHistory: config.ReverseHistory);
        _negativeRandom = new Re4Random(options.Seed ^ 0x5EED_0F_4E6L);
        if (options.Negatives != NegativeSampling.Full)
            _negatives = new NegativeSampler(options.Negatives, config.ItemCount, options.ResolvedNegativeCount, _negativeRandom);
    }

    /// <summary>The model being trained (after <see cref="Fit"/>: the selected one).</summary>
    public MultiInterestModel Model => _model;

    /// <summary>The backward flows added to the main loss, with their weights.</summary>
    public IReadOnlyList<WeightedBackwardFlow> Flows => _flows;

    /// <summary>Steps taken so far.</summary>
    public long Step => _step;

    /// <summary>Runs the loop until a stop condition, then restores the best model and evaluates the test users.</summary>
    /// <exception cref="TrainingDivergedException">A loss became NaN or infinite.</exception>
    /// <exception cref="OperationCanceledException">Cancelled between steps (the last checkpoint, if any, is intact).</exception>
    public TrainingResult Fit(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        string reason;
        var clock = new Stopwatch();
        var parts = new Dictionary<string, double>();
        if (_logger.IsEnabled(LogLevel.Information))
        {
            TrainerLog.TrainingStarted(_logger, _model.Config.Encoder, _model.Config.EffectiveInterests, _model.Config.Dimension, _split.TrainCount, _model.Config.ItemCount,
                _options.BatchSize, _options.LearningRate, _options.Negatives == NegativeSampling.Full ? "full softmax" : $"{_options.ResolvedNegativeCount} {_options.Negatives}",
                string.Join(", ", _flows.Select(f => $"{f.Flow.Name} x{f.Weight}")), _device.ToString());
        }
        while (true)
        {
            if (_step >= _options.MaxSteps) { reason = "max-steps"; break; }
            if (_options.MaxEpochs is { } epochs && _sampler.Epoch >= epochs) { reason = "max-epochs"; break; }
            if (_options.MaxDuration is { } limit && _trainSeconds >= limit.TotalSeconds) { reason = "max-duration"; break; }
            cancellationToken.ThrowIfCancellationRequested();

            var batch = _sampler.Next();
            _samplerBatches++;
            clock.Restart();
            var loss = TrainStep(batch, parts);
            _trainSeconds += clock.Elapsed.TotalSeconds;
            _step++;
            _stepsSinceValidation++;
            foreach (var (name, value) in parts) _lossSums[name] = _lossSums.GetValueOrDefault(name) + value;

            var validated = _step % _options.EvaluateEvery == 0;
            if (validated) Validate();
            progress?.Report(new TrainingProgress(_step, _options.MaxSteps, _sampler.Epoch, loss, new Dictionary<string, double>(parts),
                SamplesPerSecond, _history.Count > 0 ? _history[^1].Metrics : null, _bestStep, validated));
            if (validated && _validationsWithoutGain >= _options.Patience) { reason = "early-stopping"; break; }
        }

        if (_lastValidatedStep != _step) Validate();
        TrainerLog.TrainingStopped(_logger, reason, _step, _options.SelectionMetric, _bestMetric, _bestStep);
        RestoreBest();
        var test = _split.Test.Count > 0 ? Evaluate(_split.Test) : null;
        return new TrainingResult(_step, _bestStep, reason, _trainSeconds, SamplesPerSecond, _bestValidation!, test?.Metrics, _history.ToArray());
    }

    /// <summary>Evaluates the current model on a set of users.</summary>
    public EvaluationResult Evaluate(EvaluationSet users, bool keepRecommendations = false)
    {
        ArgumentNullException.ThrowIfNull(users);
        using var recommender = new MultiInterestRecommender(_model, _model.Config.Encoder);
        return RetrievalEvaluator.Evaluate(recommender, users, new EvaluationOptions
        {
            Cutoffs = _options.Cutoffs,
            BatchSize = _options.EvaluationBatchSize,
            ExcludeHistory = _options.ExcludeHistory,
            KeepRecommendations = keepRecommendations,
        });
    }

    private double SamplesPerSecond => _trainSeconds > 0 ? _step * (double)_options.BatchSize / _trainSeconds : 0;

    private double TrainStep(TrainingBatch batch, Dictionary<string, double> parts)
    {
        using var scope = NewDisposeScope();
        var histories = tensor(Array.ConvertAll(batch.Histories, x => (long)x), [batch.Size, batch.MaxLength], device: _device);   // [B, L]
        var targets = tensor(Array.ConvertAll(batch.Targets, x => (long)x), device: _device);                                       // [B]
        var (output, x, mask) = _model.Encode(histories);
        var table = _model.ItemEmbeddings;
        Tensor main;
        if (_negatives is null)
        {
            main = MainLoss.Full(output.RetrievalInterests, table, targets);
        }
        else
        {
            var (ids, logQ, targetLogQ) = _negatives.Sample(batch.Targets);
            main = MainLoss.Sampled(output.RetrievalInterests, table, targets, tensor(ids, device: _device),
                logQ is null ? null : tensor(logQ, device: _device), targetLogQ is null ? null : tensor(targetLogQ, device: _device));
        }

        parts.Clear();
        var total = main;
        var mainValue = main.item<float>();
        parts["main"] = mainValue;
        if (!float.IsFinite(mainValue)) throw new TrainingDivergedException(_step + 1, "main", mainValue);
        if (_flows.Count > 0)
        {
            var context = new BackwardFlowContext(output.Interests, output.Attention, output.LogAttention, x, mask);
            foreach (var (flow, weight) in _flows)
            {
                var loss = flow.ComputeLoss(context);
                var value = loss.item<float>();
                if (!float.IsFinite(value)) throw new TrainingDivergedException(_step + 1, flow.Name, value);
                parts[flow.Name] = value;
                using var w = weight.ToScalar();   // owned: a temporary Scalar may be freed mid-call
                total = total.Plus(loss.mul(w));
            }
        }

        var totalValue = _flows.Count > 0 ? total.item<float>() : mainValue;
        if (!float.IsFinite(totalValue)) throw new TrainingDivergedException(_step + 1, "total", totalValue);
        parts["total"] = totalValue;
        _optimizer.ZeroGrad();
        total.backward();
        _optimizer.Step();
        return totalValue;
    }

    private void Validate()
    {
        var result = Evaluate(_split.Valid);
        var metric = result[_options.SelectionMetric];
        var lossParts = _lossSums.ToDictionary(p => p.Key, p => p.Value / Math.Max(1, _stepsSinceValidation));
        var meanLoss = lossParts.GetValueOrDefault("total");
        _history.Add(new ValidationRecord(_step, meanLoss, lossParts, result.Metrics));
        _lossSums.Clear();
        _stepsSinceValidation = 0;
        _lastValidatedStep = _step;
        var improved = metric > _bestMetric;
        if (improved)
        {
            _bestMetric = metric;
            _bestStep = _step;
            _bestValidation = result.Metrics;
            _validationsWithoutGain = 0;
            Snapshot();
        }
        else
        {
            _validationsWithoutGain++;
        }

        TrainerLog.Validated(_logger, _step, meanLoss, _options.SelectionMetric, metric, improved ? " *" : string.Empty, _bestMetric, _bestStep, SamplesPerSecond);
        if (_options.CheckpointDirectory is { } dir)
        {
            if (improved) ModelCheckpoint.Save(Path.Combine(dir, ModelFolder), _model, _originalItemIds);
            SaveResumeState(Path.Combine(dir, ResumeFolder));
        }
    }

    private void Snapshot()
    {
        DisposeBest();
        using var noGrad = no_grad();
        _best = CloneState(_model);
    }

    /// <summary>Detached copies of a module's state (the intermediate detached views are disposed at once).</summary>
    private static Dictionary<string, Tensor> CloneState(nn.Module module)
    {
        using var scope = NewDisposeScope();
        var copy = module.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone());
        foreach (var t in copy.Values) t.MoveToOuterDisposeScope();
        return copy;
    }

    private void RestoreBest()
    {
        if (_best is null) return;
        using var noGrad = no_grad();
        _model.load_state_dict(_best);
    }

    private void DisposeBest()
    {
        if (_best is null) return;
        foreach (var t in _best.Values) t.Dispose();
        _best = null;
    }

    private void SaveResumeState(string directory)
    {
        AtomicDirectoryWriter.Write(directory, temp =>
        {
            _model.save(Path.Combine(temp, ModelCheckpoint.WeightsFile));
            _flowModules.save(Path.Combine(temp, FlowsFile));
            _optimizer.Save(Path.Combine(temp, OptimizerFile));
            using (var rng = get_rng_state()) File.WriteAllBytes(Path.Combine(temp, RandomFile), rng.data<byte>().ToArray());
            var state = new ResumeState
            {
                Step = _step,
                SamplerBatches = _samplerBatches,
                NegativeRandom = _negativeRandom.State.Select(s => s.ToString(CultureInfo.InvariantCulture)).ToArray(),
                BestStep = _bestStep,
                BestMetric = _bestMetric,
                ValidationsWithoutGain = _validationsWithoutGain,
                TrainSeconds = _trainSeconds,
                Config = _model.Config,
                Options = ResumeOptions.From(_options),
                History = _history.ToList(),
            };
            File.WriteAllText(Path.Combine(temp, StateFile), JsonSerializer.Serialize(state, ModelCheckpoint.Json));
        });
    }

    /// <summary>Resumes a run from <paramref name="checkpointDirectory"/> (a <see cref="TrainerOptions.CheckpointDirectory"/> written
    /// by an earlier run): weights, Adam's state, the random generators, the sampler position, the best model and the
    /// early-stopping counters, so that training continues exactly as if never interrupted.</summary>
    /// <param name="checkpointDirectory">The earlier run's checkpoint directory.</param>
    /// <param name="split">The same split the run used (same data, protocol and seed).</param>
    /// <param name="maxSteps">A new step limit (e.g. to train longer); null keeps the saved one.</param>
    /// <param name="logger">Where progress is logged.</param>
    /// <param name="device">Where to continue.</param>
    /// <param name="customFlows">The run's custom flows, if it had any (they are not saved in the state).</param>
    /// <exception cref="InvalidDataException">The directory holds no resume state or a damaged one.</exception>
    public static MultiInterestTrainer Resume(string checkpointDirectory, DataSplit split, long? maxSteps = null, ILogger? logger = null, Device? device = null,
        IReadOnlyList<WeightedBackwardFlow>? customFlows = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointDirectory);
        ArgumentNullException.ThrowIfNull(split);
        var resume = Path.Combine(checkpointDirectory, ResumeFolder);
        var statePath = Path.Combine(resume, StateFile);
        if (!File.Exists(statePath)) throw new InvalidDataException($"{checkpointDirectory} holds no resume state ({ResumeFolder}/{StateFile} is missing).");
        ResumeState state;
        try
        {
            state = JsonSerializer.Deserialize<ResumeState>(File.ReadAllText(statePath), ModelCheckpoint.Json) ?? throw new InvalidDataException($"{statePath} is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{statePath} is damaged: {e.Message}", e);
        }

        if (state.Config is null || state.Options is null || state.NegativeRandom is null)
            throw new InvalidDataException($"{statePath} is incomplete.");
        if (!File.Exists(Path.Combine(resume, OptimizerFile)))
        {
            throw new InvalidDataException(File.Exists(Path.Combine(resume, TorchSharpOptimizerFile))
                ? $"{resume} was written by an earlier build that used TorchSharp's Adam ({TorchSharpOptimizerFile}); its optimizer state cannot be read: start the run again."
                : $"{checkpointDirectory} holds no optimizer state ({ResumeFolder}/{OptimizerFile} is missing).");
        }
        var options = state.Options.ToOptions(checkpointDirectory);
        if (maxSteps is { } m) options.MaxSteps = m;
        if (customFlows is not null) options.CustomFlows = customFlows;
        var trainer = new MultiInterestTrainer(split, state.Config, options, logger, device);
        trainer.LoadResumeState(resume, state);
        return trainer;
    }

    private void LoadResumeState(string directory, ResumeState state)
    {
        _model.load(Path.Combine(directory, ModelCheckpoint.WeightsFile));
        _flowModules.load(Path.Combine(directory, FlowsFile));
        _optimizer.Load(Path.Combine(directory, OptimizerFile));
        var rngBytes = File.ReadAllBytes(Path.Combine(directory, RandomFile));
        using (var rng = tensor(rngBytes, dtype: ScalarType.Byte)) set_rng_state(rng);
        _negativeRandom.State = state.NegativeRandom!.Select(s => ulong.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        for (long i = 0; i < state.SamplerBatches; i++) _sampler.Next();   // the same batches, in the same order
        _samplerBatches = state.SamplerBatches;
        _step = state.Step;
        _bestStep = state.BestStep;
        _bestMetric = state.BestMetric;
        _validationsWithoutGain = state.ValidationsWithoutGain;
        _trainSeconds = state.TrainSeconds;
        _lastValidatedStep = state.Step;
        _history.AddRange(state.History ?? []);
        _bestValidation = _history.FirstOrDefault(h => h.Step == _bestStep)?.Metrics;
        var bestDir = Path.Combine(_options.CheckpointDirectory!, ModelFolder);
        if (File.Exists(Path.Combine(bestDir, ModelCheckpoint.ConfigFile)))
        {
            using var best = new MultiInterestModel(_model.Config);
            best.load(Path.Combine(bestDir, ModelCheckpoint.WeightsFile));
            best.to(_device);
            using var noGrad = no_grad();
            DisposeBest();
            _best = CloneState(best);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        DisposeBest();
        _flowModules.Dispose();
        _optimizer.Dispose();
        _model.Dispose();
    }

    private sealed class ResumeState
    {
        public long Step { get; set; }
        public long SamplerBatches { get; set; }
        public string[]? NegativeRandom { get; set; }
        public long BestStep { get; set; }
        public double BestMetric { get; set; }
        public int ValidationsWithoutGain { get; set; }
        public double TrainSeconds { get; set; }
        public ModelConfig? Config { get; set; }
        public ResumeOptions? Options { get; set; }
        public List<ValidationRecord>? History { get; set; }
    }

    /// <summary>The options that decide what a run computes (what a resumed run must reuse).</summary>
    private sealed class ResumeOptions
    {
        public int BatchSize { get; set; }
        public double LearningRate { get; set; }
        public double WeightDecay { get; set; }
        public NegativeSampling Negatives { get; set; }
        public int? NegativeCount { get; set; }
        public TrainingSamplerKind Sampler { get; set; }
        public long MaxSteps { get; set; }
        public int? MaxEpochs { get; set; }
        public double? MaxDurationSeconds { get; set; }
        public int EvaluateEvery { get; set; }
        public int Patience { get; set; }
        public string SelectionMetric { get; set; } = "recall@50";
        public int Seed { get; set; }
        public int EvaluationBatchSize { get; set; }
        public bool ExcludeHistory { get; set; }
        public int[] Cutoffs { get; set; } = [];
        public BackwardFlowOptions? BackwardFlows { get; set; }

        public static ResumeOptions From(TrainerOptions o) => new()
        {
            BatchSize = o.BatchSize,
            LearningRate = o.LearningRate,
            WeightDecay = o.WeightDecay,
            Negatives = o.Negatives,
            NegativeCount = o.NegativeCount,
            Sampler = o.Sampler,
            MaxSteps = o.MaxSteps,
            MaxEpochs = o.MaxEpochs,
            MaxDurationSeconds = o.MaxDuration?.TotalSeconds,
            EvaluateEvery = o.EvaluateEvery,
            Patience = o.Patience,
            SelectionMetric = o.SelectionMetric,
            Seed = o.Seed,
            EvaluationBatchSize = o.EvaluationBatchSize,
            ExcludeHistory = o.ExcludeHistory,
            Cutoffs = o.Cutoffs.ToArray(),
            BackwardFlows = o.BackwardFlows,
        };

        public TrainerOptions ToOptions(string checkpointDirectory) => new()
        {
            BatchSize = BatchSize,
            LearningRate = LearningRate,
            WeightDecay = WeightDecay,
            Negatives = Negatives,
            NegativeCount = NegativeCount,
            Sampler = Sampler,
            MaxSteps = MaxSteps,
            MaxEpochs = MaxEpochs,
            MaxDuration = MaxDurationSeconds is { } s ? TimeSpan.FromSeconds(s) : null,
            EvaluateEvery = EvaluateEvery,
            Patience = Patience,
            SelectionMetric = SelectionMetric,
            Seed = Seed,
            EvaluationBatchSize = EvaluationBatchSize,
            ExcludeHistory = ExcludeHistory,
            Cutoffs = Cutoffs,
            BackwardFlows = BackwardFlows ?? new(),
            CheckpointDirectory = checkpointDirectory,
        };
    }
}
