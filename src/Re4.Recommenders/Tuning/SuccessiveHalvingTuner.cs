using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Re4.Recommenders.Data;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tuning;

/// <summary>
/// A budgeted hyperparameter search on validation users by successive halving: configurations sampled from a
/// <see cref="SearchSpace"/> (seeded by <see cref="TrainerOptions.Seed"/>) are trained rung by rung as the
/// <see cref="SuccessiveHalvingSchedule"/> says, each ranked by its best validation <see cref="TrainerOptions.SelectionMetric"/>
/// (ties: the earlier configuration), the best 1/η going on. A promoted configuration continues its own training (its run
/// folder's exact resume state) rather than starting again. Resumable: the state is written to the directory after every
/// trial, and <see cref="Run"/> on the same directory skips every finished trial and continues an interrupted one from its
/// last validation.
/// </summary>
/// <remarks>
/// <b>The test users are never read</b>: the trials train on a copy of the split without them (<see cref="WithoutTestUsers"/>),
/// so neither training nor model selection can see them. Every trial is seeded with the same
/// <see cref="TrainerOptions.Seed"/>, so configurations differ only in their values. Not thread-safe.
/// </remarks>
public sealed class SuccessiveHalvingTuner
{
    /// <summary>The subfolder holding one run folder per configuration (<c>c0</c>, <c>c1</c>, ...).</summary>
    public const string TrialsFolder = "trials";

    private readonly DataSplit _split;
    private readonly ModelConfig _config;
    private readonly TrainerOptions _options;
    private readonly SearchSpace _space;
    private readonly SuccessiveHalvingSchedule _schedule;
    private readonly string _directory;
    private readonly ILogger _logger;
    private readonly Device _device;

    /// <summary>A search of <paramref name="space"/> for the model <paramref name="config"/> trained with
    /// <paramref name="options"/> on <paramref name="split"/>'s training users, selected on its validation users.</summary>
    /// <param name="split">The split; its test users are dropped before anything is trained.</param>
    /// <param name="config">The architecture of every trial.</param>
    /// <param name="options">The options every configuration is applied to (their step limit is the rungs').</param>
    /// <param name="space">What is searched.</param>
    /// <param name="schedule">The rungs.</param>
    /// <param name="directory">Where the state and the trials' run folders are kept.</param>
    /// <param name="logger">Where trials are logged; null for none.</param>
    /// <param name="device">Where to train (CPU when null).</param>
    /// <exception cref="ArgumentException">An argument is invalid, a range is for a flow the options lack, or an end of a
    /// range gives options the trainer refuses (the parameter names the option).</exception>
    public SuccessiveHalvingTuner(DataSplit split, ModelConfig config, TrainerOptions options, SearchSpace space, SuccessiveHalvingSchedule schedule,
        string directory, ILogger? logger = null, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (split.Valid.Count == 0) throw new ArgumentException("The split has no validation users to select on.", nameof(split));
        config.Validate();
        schedule.Validate();
        options.Validate();
        if (options.CustomFlows.Count > 0) throw new ArgumentException("Custom flows cannot be resumed from a run folder, so a tuner cannot promote them.", nameof(options));
        foreach (var parameter in space.Ranges.Keys)
        {
            if (!SearchSpace.AppliesTo(parameter, options.BackwardFlows))
                throw new ArgumentException($"{parameter} is searched but the options have no backward flow it belongs to.", nameof(space));
        }

        // Both ends of every range must give options the trainer accepts (e.g. a τ whose inverse overflows).
        foreach (var end in new[] { space.Ranges.ToDictionary(r => r.Key, r => r.Value.Low), space.Ranges.ToDictionary(r => r.Key, r => r.Value.High) })
            SearchSpace.Apply(options, end).Validate();
        _split = WithoutTestUsers(split);
        _config = config;
        _options = options;
        _space = space;
        _schedule = schedule;
        _directory = directory;
        _logger = logger ?? NullLogger.Instance;
        _device = device ?? CPU;
    }

    /// <summary>A copy of <paramref name="split"/> with the same training sequences and validation users and no test users:
    /// what a search trains and selects on.</summary>
    public static DataSplit WithoutTestUsers(DataSplit split)
    {
        ArgumentNullException.ThrowIfNull(split);
        var users = new int[split.TrainCount];
        var lengths = new int[split.TrainCount];
        for (var i = 0; i < users.Length; i++)
        {
            users[i] = split.TrainUser(i);
            lengths[i] = split.TrainSequence(i).Length;
        }

        return new DataSplit(split.Dataset, split.Protocol, split.Seed, split.MaxLength, users, lengths, split.Valid, EvaluationSet.Build([]),
            split.SkippedEvaluationUsers);
    }

    /// <summary>The run folder of configuration <paramref name="configuration"/> under <paramref name="directory"/>.</summary>
    public static string TrialFolder(string directory, int configuration) =>
        Path.Combine(directory, TrialsFolder, "c" + configuration.ToString(CultureInfo.InvariantCulture));

    /// <summary>Runs (or continues) the search.</summary>
    /// <param name="progress">Each trial's training progress.</param>
    /// <param name="cancellationToken">Stops between steps; the state of every finished trial and the interrupted trial's
    /// last validation are kept, and a later <see cref="Run"/> continues from there.</param>
    /// <exception cref="InvalidOperationException">The directory holds the state of another search (the message says what
    /// differs).</exception>
    /// <exception cref="InvalidDataException">The state or a trial's resume state is damaged.</exception>
    public TuningResult Run(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var state = new TuningState
        {
            Model = JsonSerializer.Serialize(_config, ModelCheckpoint.Json),
            Options = JsonSerializer.Serialize(_options, ModelCheckpoint.Json),
            Space = JsonSerializer.Serialize(_space.Ranges.ToDictionary(r => r.Key.ToString(), r => r.Value), ModelCheckpoint.Json),
            Schedule = JsonSerializer.Serialize(_schedule, ModelCheckpoint.Json),
            Data = DataFingerprint.Of(_split),
        };
        if (TuningState.Read(_directory) is { } saved)
        {
            if (saved.Difference(state) is { } difference)
                throw new InvalidOperationException($"{Path.Combine(_directory, TuningState.FileName)} belongs to another search: {difference}; repeat that search's command to continue it, or use another folder.");
            state.Trials.AddRange(saved.Trials);
        }

        var configurations = _space.Sample(_schedule.Configurations, _options.Seed);
        var rungs = _schedule.Rungs;
        var total = rungs.Sum(r => r.Configurations);
        var done = 0;
        var metric = _options.SelectionMetric;
        IReadOnlyList<int> alive = Enumerable.Range(0, configurations.Count).ToList();
        TuningTrial? last = null;
        foreach (var rung in rungs)
        {
            var results = new List<TuningTrial>();
            foreach (var c in alive)
            {
                done++;
                var trial = state.Trials.FirstOrDefault(t => t.Configuration == c && t.Rung == rung.Index);
                if (trial is not null)
                {
                    TuningLog.TrialKept(_logger, done, total, c, rung.Index, metric, trial.Validation[metric]);
                }
                else
                {
                    TuningLog.TrialStarted(_logger, done, total, c, Describe(configurations[c]), rung.Index, rung.Steps);
                    var before = state.Trials.LastOrDefault(t => t.Configuration == c);
                    trial = Train(c, configurations[c], rung, before, progress, cancellationToken);
                    state.Trials.Add(trial);
                    state.Write(_directory);
                    TuningLog.TrialFinished(_logger, done, total, c, rung.Index, metric, trial.Validation[metric], trial.BestStep, trial.Steps, trial.StopReason);
                }

                results.Add(trial);
                last = trial;
            }

            if (rung.Index + 1 < rungs.Count)
            {
                alive = results.OrderByDescending(t => t.Validation[metric]).ThenBy(t => t.Configuration).Take(rungs[rung.Index + 1].Configurations)
                    .Select(t => t.Configuration).Order().ToList();
                TuningLog.RungPromoted(_logger, rung.Index, string.Join(", ", alive), rung.Index + 1);
            }
        }

        // The trials in the order a search without interruption runs them.
        var ordered = state.Trials.OrderBy(t => t.Rung).ThenBy(t => t.Configuration).ToList();
        return new TuningResult(configurations, ordered, last!.Configuration, last);
    }

    /// <summary>Trains configuration <paramref name="c"/> to the rung's budget: fresh, or from its folder's resume state
    /// (the rung before's, or an interrupted attempt's last validation).</summary>
    private TuningTrial Train(int c, IReadOnlyDictionary<TunedParameter, double> values, TuningRung rung, TuningTrial? before,
        IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        // A configuration that stopped before its budget (early stopping, an epoch or time limit) has nothing more to train.
        if (before is not null && before.StopReason != StopReason.MaxSteps.ToIdentifier())
            return before with { Rung = rung.Index, Budget = rung.Steps };
        var folder = TrialFolder(_directory, c);
        var resumable = File.Exists(Path.Combine(folder, MultiInterestTrainer.ResumeFolder, "trainer.json"));
        if (!resumable && Directory.Exists(folder)) Directory.Delete(folder, recursive: true);   // an attempt stopped before its first validation
        var options = SearchSpace.Apply(_options, values);
        options.MaxSteps = rung.Steps;
        options.CheckpointDirectory = folder;
        using var trainer = resumable
            ? MultiInterestTrainer.Resume(folder, _split, rung.Steps, _logger, _device)
            : new MultiInterestTrainer(_split, _config, options, _logger, _device);
        var result = trainer.Fit(progress, cancellationToken);
        return new TuningTrial(c, rung.Index, rung.Steps, result.Steps, result.BestStep, result.StopReason.ToIdentifier(),
            new Dictionary<string, double>(result.BestValidation), Math.Round(result.TrainSeconds, 3));
    }

    private static string Describe(IReadOnlyDictionary<TunedParameter, double> values) =>
        string.Join(", ", values.Select(v => string.Create(CultureInfo.InvariantCulture, $"{v.Key} {v.Value:G3}")));
}
