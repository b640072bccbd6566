using System.Text.Json;
using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;

namespace Re4.Recommenders.Tuning;

/// <summary>The hyperparameters a tuner searches and where: one <see cref="SearchRange"/> per <see cref="TunedParameter"/>
/// (parameters left out keep the trainer options' values). Immutable.</summary>
public sealed class SearchSpace
{
    /// <summary>A search space over <paramref name="ranges"/> (each validated).</summary>
    /// <exception cref="ArgumentException">It is empty or a range is invalid (the parameter names it).</exception>
    public SearchSpace(IReadOnlyDictionary<TunedParameter, SearchRange> ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        if (ranges.Count == 0) throw new ArgumentException("A search space needs at least one parameter.", nameof(ranges));
        foreach (var (parameter, range) in ranges)
        {
            if (range is null) throw new ArgumentNullException(nameof(ranges), $"The range of {parameter} is null.");
            range.Validate(parameter.ToString());
        }

        Ranges = new SortedDictionary<TunedParameter, SearchRange>(ranges.ToDictionary(p => p.Key, p => p.Value));
    }

    /// <summary>The ranges, in <see cref="TunedParameter"/> order (the order values are drawn in).</summary>
    public IReadOnlyDictionary<TunedParameter, SearchRange> Ranges { get; }

    /// <summary>The default range of each parameter (all on the log scale): τ 0.02–1, λ_ct 0.01–1, λ_att 1e-4–0.1,
    /// λ_cs 0.01–1, lr 3e-4–0.01 (around the Re4 and ComiRec reference values).</summary>
    public static IReadOnlyDictionary<TunedParameter, SearchRange> DefaultRanges { get; } = new Dictionary<TunedParameter, SearchRange>
    {
        [TunedParameter.Temperature] = new(0.02, 1),
        [TunedParameter.LambdaContrast] = new(0.01, 1),
        [TunedParameter.LambdaAttend] = new(0.0001, 0.1),
        [TunedParameter.LambdaConstruct] = new(0.01, 1),
        [TunedParameter.LearningRate] = new(0.0003, 0.01),
    };

    /// <summary>Whether <paramref name="parameter"/> means anything for <paramref name="flows"/> (a flow's τ or λ needs that flow).</summary>
    public static bool AppliesTo(TunedParameter parameter, BackwardFlowOptions flows)
    {
        ArgumentNullException.ThrowIfNull(flows);
        return parameter switch
        {
            TunedParameter.Temperature or TunedParameter.LambdaContrast => flows.Contrast is not null,
            TunedParameter.LambdaAttend => flows.Attend is not null,
            TunedParameter.LambdaConstruct => flows.Construct is not null,
            _ => true,
        };
    }

    /// <summary><paramref name="count"/> configurations drawn from <c>new Random(seed)</c>, configuration by configuration,
    /// each parameter in <see cref="Ranges"/>' order.</summary>
    public IReadOnlyList<IReadOnlyDictionary<TunedParameter, double>> Sample(int count, int seed)
    {
        OptionChecks.Positive(count, nameof(count));
        var random = new Random(seed);
        var configurations = new List<IReadOnlyDictionary<TunedParameter, double>>(count);
        for (var c = 0; c < count; c++) configurations.Add(Ranges.ToDictionary(r => r.Key, r => r.Value.Sample(random)));
        return configurations;
    }

    /// <summary>A copy of <paramref name="options"/> with <paramref name="values"/> set (through their serialisation:
    /// the copy shares nothing mutable with the original but the custom flows).</summary>
    /// <exception cref="ArgumentException">A value is for a flow the options do not have.</exception>
    public static TrainerOptions Apply(TrainerOptions options, IReadOnlyDictionary<TunedParameter, double> values)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(values);
        var flows = options.BackwardFlows;
        var learningRate = options.LearningRate;
        foreach (var (parameter, value) in values)
        {
            if (!AppliesTo(parameter, flows))
                throw new ArgumentException($"{parameter} is tuned but the trainer options have no backward flow it belongs to.", nameof(values));
            flows = parameter switch
            {
                TunedParameter.Temperature => flows with { Contrast = flows.Contrast! with { Temperature = value } },
                TunedParameter.LambdaContrast => flows with { Contrast = flows.Contrast! with { Weight = value } },
                TunedParameter.LambdaAttend => flows with { Attend = flows.Attend! with { Weight = value } },
                TunedParameter.LambdaConstruct => flows with { Construct = flows.Construct! with { Weight = value } },
                _ => flows,
            };
            if (parameter == TunedParameter.LearningRate) learningRate = value;
        }

        // A copy through the options' own serialisation (as a resume state stores them), so that an option added later is
        // copied too; what is not serialised is set again.
        var copy = JsonSerializer.Deserialize<TrainerOptions>(JsonSerializer.Serialize(options, ModelCheckpoint.Json), ModelCheckpoint.Json)!;
        copy.LearningRate = learningRate;
        copy.BackwardFlows = flows;
        copy.CustomFlows = options.CustomFlows;
        copy.CheckpointDirectory = options.CheckpointDirectory;
        return copy;
    }
}
