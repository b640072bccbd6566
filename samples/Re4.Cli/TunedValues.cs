using System.Globalization;
using System.Text.Json;
using Re4.Recommenders.Data;
using Re4.Recommenders.Training;
using Re4.Recommenders.Tuning;

namespace Re4.Cli;

/// <summary>The best configuration of a <c>re4 tune</c> search (its <c>tune.json</c>), for <c>compare --tuned MODEL=DIR</c>:
/// read, checked against the comparison's split (tuning on another split could have validated on this one's test
/// users), and applied to that model's runs only.</summary>
internal sealed record TunedValues(string Model, string File, TuneFile Tune, IReadOnlyDictionary<TunedParameter, double> Values)
{
    /// <summary>Parses one <c>--tuned</c> value (<c>MODEL=DIR</c>, DIR a tune folder or its tune.json) and reads the
    /// file; returns an error message instead when either is wrong.</summary>
    public static (TunedValues? Value, string? Error) Read(string text)
    {
        var at = text.IndexOf('=', StringComparison.Ordinal);
        if (at <= 0 || at == text.Length - 1) return (null, $"option --tuned expects MODEL=DIR (a 're4 tune' folder or its {TuneCommand.ResultFile}), not '{text}'");
        var model = text[..at].Trim().ToLowerInvariant();
        var path = text[(at + 1)..].Trim();
        var file = Directory.Exists(path) ? Path.Combine(path, TuneCommand.ResultFile) : path;
        if (!System.IO.File.Exists(file))
            return (null, $"option --tuned {model}: {file} does not exist (run 're4 tune --out DIR' first; a search writes it when it finishes)");
        TuneFile tune;
        try
        {
            tune = JsonSerializer.Deserialize(System.IO.File.ReadAllText(file), CliJsonContext.Default.TuneFile)
                ?? throw new JsonException("the file holds null");
        }
        catch (JsonException e)
        {
            return (null, $"option --tuned {model}: {file} is not a tune.json ({e.Message})");
        }

        // 'required' lets an explicit null through: a file cut or edited by hand must still be a usage error.
        if (tune.Best?.Config is null || tune.Users is null || tune.Model is null || tune.Dataset is null || tune.Protocol is null)
            return (null, $"option --tuned {model}: {file} lacks its model, data set, protocol, users or best configuration");
        if (tune.Model != model)
            return (null, $"option --tuned {model}: {file} tuned --model {tune.Model}, not {model}");
        var values = new Dictionary<TunedParameter, double>();
        foreach (var (name, value) in tune.Best.Config)
        {
            if (TuneCommand.ParameterOf(name) is not { } parameter)
                return (null, $"option --tuned {model}: {file} tunes '{name}', which this version does not know");
            values[parameter] = value;   // its range is the trainer options' to check (Apply)
        }

        return (new TunedValues(model, file, tune, values), null);
    }

    /// <summary>The model's trainer options with the tuned values set, or why they cannot be (a value the options'
    /// own validation refuses, or a flow the model does not have).</summary>
    public (TrainerOptions? Options, string? Error) Apply(TrainerOptions options)
    {
        foreach (var parameter in Values.Keys.Where(p => !SearchSpace.AppliesTo(p, options.BackwardFlows)))
            return (null, $"option --tuned {Model}: {File} tunes {parameter} but {Model} has no flow it belongs to");
        var tunedOptions = SearchSpace.Apply(options, Values);
        try
        {
            tunedOptions.Validate();
        }
        catch (ArgumentException e)
        {
            // One line, with the refused value (the exception's message spreads it over a second line).
            var value = e is ArgumentOutOfRangeException { ActualValue: { } v } ? string.Create(CultureInfo.InvariantCulture, $"; it is {v}") : string.Empty;
            return (null, $"option --tuned {Model}: {File} gives a value the trainer refuses: {e.Message.Split('\n')[0].Trim()}{value}");
        }

        return (tunedOptions, null);
    }

    /// <summary>Why the search cannot be used on <paramref name="split"/> (another data set, protocol, split seed or
    /// other users), or null.</summary>
    public string? Mismatch(string dataset, DataSource source, DataSplit split)
    {
        string? Differs(string what, object then, object now) =>
            Equals(then, now) ? null : $"{File} was tuned with {what} {then}, this comparison has {now}";
        return Differs("data set", Tune.Dataset, dataset)
            ?? Differs("protocol", Tune.Protocol, source.ProtocolName)
            ?? Differs("split seed", Tune.SplitSeed, source.SplitSeed)
            ?? Differs("training users", Tune.Users.Train, split.TrainCount)
            ?? Differs("validation users", Tune.Users.Valid, split.Valid.Count);
    }

    /// <summary>The values as <c>train</c> flags (<c>tau 0.1, lr 0.002</c>).</summary>
    public string Describe() => string.Join(", ", Tune.Best.Config.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key} {c.Value:G3}")));
}
