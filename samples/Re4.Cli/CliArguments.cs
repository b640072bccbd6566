using System.Globalization;

namespace Re4.Cli;

/// <summary>A usage error: printed as one line, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>Parses <c>--name value</c> options and <c>--flag</c> switches, and rejects anything unknown.</summary>
internal sealed class CliArguments
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private readonly List<string> _missing = new();

    public CliArguments(IEnumerable<string> args, IReadOnlySet<string> flags)
    {
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var a = e.Current;
            if (!a.StartsWith("--", StringComparison.Ordinal) || a.Length == 2)
                throw new UsageException($"unexpected argument '{a}': options look like --name value");
            var name = a[2..];
            string? value = null;
            var eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }
            else if (!flags.Contains(name))
            {
                if (!e.MoveNext()) throw new UsageException($"option --{name} needs a value");
                value = e.Current;
            }

            if (!_values.TryAdd(name, value)) throw new UsageException($"option --{name} is given twice");
        }
    }

    public bool Flag(string name)
    {
        _used.Add(name);
        return _values.ContainsKey(name);
    }

    public string? Optional(string name)
    {
        _used.Add(name);
        return _values.TryGetValue(name, out var v) ? v : null;
    }

    /// <summary>A required option; a missing one is reported by <see cref="EnsureAllUsed"/>, after unknown options,
    /// so that a typo (<c>--outt</c>) is named as such rather than as a missing <c>--out</c>.</summary>
    public string Required(string name)
    {
        var value = Optional(name);
        if (value is null) _missing.Add(name);
        return value ?? string.Empty;
    }

    public int Int(string name, int fallback, int min = int.MinValue)
    {
        var text = Optional(name);
        if (text is null) return fallback;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
            throw new UsageException($"option --{name} expects an integer, not '{text}'");
        if (v < min) throw new UsageException($"option --{name} must be at least {min}, not {v}");
        return v;
    }

    public T Choice<T>(string name, T fallback, IReadOnlyDictionary<string, T> choices)
    {
        var text = Optional(name);
        if (text is null) return fallback;
        return choices.TryGetValue(text.ToLowerInvariant(), out var v)
            ? v
            : throw new UsageException($"option --{name} expects one of {string.Join('|', choices.Keys)}, not '{text}'");
    }

    /// <summary>Fails on options the verb never asked for (typos must not pass silently).</summary>
    public void EnsureAllUsed(string verb)
    {
        var unknown = _values.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new UsageException($"unknown option{(unknown.Count > 1 ? "s" : string.Empty)} for '{verb}': {string.Join(", ", unknown.Select(u => "--" + u))} (see 're4 {verb} --help')");
        if (_missing.Count > 0)
            throw new UsageException($"option{(_missing.Count > 1 ? "s" : string.Empty)} {string.Join(", ", _missing.Select(m => "--" + m))} required (see 're4 {verb} --help')");
    }
}
