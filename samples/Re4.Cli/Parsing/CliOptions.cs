using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Cli;

/// <summary>Makes the verbs' typed options. Each parses its value itself so that a bad value is reported in the CLI's
/// own words (<c>option --seed expects an integer, not 'abc'</c>), and its help line states the default it was given:
/// the default is read once, where the option is made, and both the parser and the help text use it.</summary>
internal static class CliOptions
{
    /// <summary>Marks where a description wants its default; without it the default is appended as <c>(default X)</c>.</summary>
    public const string DefaultMark = "{default}";

    /// <summary>An integer option with a default (at least <paramref name="min"/>).</summary>
    public static Option<int> Int(string name, string helpName, string description, int fallback, int min = int.MinValue) =>
        new("--" + name)
        {
            HelpName = helpName,
            Description = WithDefault(description, Format(fallback)),
            DefaultValueFactory = _ => fallback,
            CustomParser = r => ParseInt(r, name, min) ?? 0,
        };

    /// <summary>An integer option without a default (null when absent).</summary>
    public static Option<int?> OptionalInt(string name, string helpName, string description, int min = int.MinValue) =>
        new("--" + name) { HelpName = helpName, Description = description, CustomParser = r => ParseInt(r, name, min) };

    /// <summary>A non-negative (or, with <paramref name="positive"/>, positive) finite number with a default.</summary>
    public static Option<double> Double(string name, string helpName, string description, double fallback, bool positive = false) =>
        new("--" + name)
        {
            HelpName = helpName,
            Description = WithDefault(description, Format(fallback)),
            DefaultValueFactory = _ => fallback,
            CustomParser = r => ParseDouble(r, name, positive) ?? fallback,
        };

    /// <summary>A non-negative finite number without a default (null when absent: a preset or the library decides).</summary>
    public static Option<double?> OptionalDouble(string name, string helpName, string description) =>
        new("--" + name) { HelpName = helpName, Description = description, CustomParser = r => ParseDouble(r, name) };

    /// <summary>One of <paramref name="choices"/> (case-insensitive), with a default.</summary>
    public static Option<T> Choice<T>(string name, string description, IReadOnlyDictionary<string, T> choices, T fallback, string? helpName = null) =>
        new("--" + name)
        {
            HelpName = helpName ?? string.Join('|', choices.Keys),
            Description = WithDefault(description, NameOf(choices, fallback)),
            DefaultValueFactory = _ => fallback,
            CustomParser = r => ParseChoice(r, name, choices, out var value) ? value : fallback,
        };

    /// <summary>One of <paramref name="choices"/> without a default (null when absent: a preset decides).</summary>
    public static Option<T?> OptionalChoice<T>(string name, string description, IReadOnlyDictionary<string, T> choices)
        where T : struct =>
        new("--" + name)
        {
            HelpName = string.Join('|', choices.Keys),
            Description = description,
            CustomParser = r => ParseChoice(r, name, choices, out var value) ? value : null,
        };

    /// <summary>A switch: present or not, never followed by a value.</summary>
    public static Option<bool> Flag(string name, string description) =>
        new("--" + name) { Description = description, Arity = ArgumentArity.Zero };

    /// <summary>A text option (a path, a list parsed by the verb).</summary>
    public static Option<string> Text(string name, string helpName, string description, bool required = false) =>
        new("--" + name) { HelpName = helpName, Description = description, Required = required };

    /// <summary>An option whose text <paramref name="parse"/> turns into a value, or into the message of a usage error.</summary>
    public static Option<T?> Parsed<T>(string name, string helpName, string description, Func<string, (T? Value, string? Error)> parse) =>
        new("--" + name)
        {
            HelpName = helpName,
            Description = description,
            CustomParser = r =>
            {
                if (r.Tokens.Count == 0) return default;
                var (value, error) = parse(r.Tokens[0].Value);
                if (error is not null) r.AddError(error);
                return value;
            },
        };

    /// <summary><c>--device cpu|cuda</c> (default cpu); cuda is refused at parse time when no CUDA device is there.</summary>
    public static Option<Device> DeviceOption(string description) =>
        new("--device")
        {
            HelpName = "cpu|cuda",
            Description = WithDefault(description, "cpu"),
            DefaultValueFactory = _ => CPU,
            CustomParser = r =>
            {
                var name = r.Tokens.Count == 0 ? "cpu" : r.Tokens[0].Value;
                switch (name.ToLowerInvariant())
                {
                    case "cpu":
                        return CPU;
                    case "cuda" when cuda.is_available():
                        return CUDA;
                    case "cuda":
                        r.AddError("option --device cuda: no CUDA device is available (a CUDA build of TorchSharp, e.g. the TorchSharp-cuda-linux package, and a GPU are needed)");
                        return CPU;
                    default:
                        r.AddError($"option --device expects cpu or cuda, not '{name}'");
                        return CPU;
                }
            },
        };

    /// <summary>The value of <paramref name="option"/> when it was given, else null. For options of array type, whose
    /// <see cref="ParseResult.GetValue{T}(Option{T})"/> is an empty array when absent rather than null.</summary>
    public static T? GivenValue<T>(ParseResult parse, Option<T?> option)
        where T : class =>
        parse.GetResult(option) is { Implicit: false } ? parse.GetValue(option) : null;

    /// <summary>How a default is shown in help: invariant culture, shortest round-trip form, exponents as <c>1e-6</c>.</summary>
    public static string Format(double value)
    {
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        var e = text.IndexOf('E', StringComparison.Ordinal);
        return e < 0 ? text : $"{text[..e]}e{int.Parse(text[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)}";
    }

    /// <inheritdoc cref="Format(double)"/>
    public static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The command-line name of <paramref name="value"/> in <paramref name="choices"/>.</summary>
    public static string NameOf<T>(IReadOnlyDictionary<string, T> choices, T value) =>
        choices.First(c => EqualityComparer<T>.Default.Equals(c.Value, value)).Key;

    private static string WithDefault(string description, string fallback) =>
        description.Contains(DefaultMark, StringComparison.Ordinal)
            ? description.Replace(DefaultMark, fallback, StringComparison.Ordinal)
            : $"{description} (default {fallback})".TrimStart();

    private static int? ParseInt(ArgumentResult r, string name, int min)
    {
        if (r.Tokens.Count == 0) return null;
        var text = r.Tokens[0].Value;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
        {
            r.AddError($"option --{name} expects an integer, not '{text}'");
            return null;
        }

        if (v < min)
        {
            r.AddError($"option --{name} must be at least {min}, not {v}");
            return null;
        }

        return v;
    }

    private static double? ParseDouble(ArgumentResult r, string name, bool positive = false)
    {
        if (r.Tokens.Count == 0) return null;
        var text = r.Tokens[0].Value;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v) || v < 0)
        {
            r.AddError($"option --{name} expects a non-negative number, not '{text}'");
            return null;
        }

        if (positive && v == 0)
        {
            r.AddError($"option --{name} must be positive");
            return null;
        }

        return v;
    }

    private static bool ParseChoice<T>(ArgumentResult r, string name, IReadOnlyDictionary<string, T> choices, out T value)
    {
        value = default!;
        if (r.Tokens.Count == 0) return false;
        var text = r.Tokens[0].Value;
        if (choices.TryGetValue(text.ToLowerInvariant(), out value!)) return true;
        r.AddError($"option --{name} expects one of {string.Join('|', choices.Keys)}, not '{text}'");
        return false;
    }
}
