using Re4.Recommenders.Data.Formats;

namespace Re4.Recommenders.Data;

/// <summary>Data formats by name, in auto-detection's priority order (the first registered wins a tie). The command
/// line's <c>--format</c> names are the names of <see cref="BuiltIn"/>. Immutable, so one instance may serve
/// concurrent loads; <see cref="With"/> makes a registry with one more format.</summary>
public sealed class InteractionReaderRegistry
{
    private readonly Dictionary<string, InteractionReader> _byName;

    /// <summary>Creates a registry of <paramref name="readers"/>, in priority order.</summary>
    /// <exception cref="ArgumentException">Two readers share a name, or the list is empty.</exception>
    public InteractionReaderRegistry(IEnumerable<InteractionReader> readers)
    {
        ArgumentNullException.ThrowIfNull(readers);
        Readers = readers.ToArray();
        if (Readers.Count == 0) throw new ArgumentException("A registry needs at least one reader.", nameof(readers));
        _byName = new Dictionary<string, InteractionReader>(StringComparer.OrdinalIgnoreCase);
        foreach (var reader in Readers)
        {
            ArgumentNullException.ThrowIfNull(reader, nameof(readers));
            if (!_byName.TryAdd(reader.Name, reader))
                throw new ArgumentException($"Two readers are named '{reader.Name}'.", nameof(readers));
        }
    }

    /// <summary>The built-in formats. The sequence format comes first: its detection is only a fallback, so the order
    /// decides nothing among them, and it is the order of the command line's help.</summary>
    public static InteractionReaderRegistry BuiltIn { get; } = new(
    [
        new SequencePerLineReader(),
        new ComiRecCsvReader(),
        new MovieLensTsvReader(),
        new MovieLensDatReader(),
        new TaobaoCsvReader(),
    ]);

    /// <summary>The readers, in priority order.</summary>
    public IReadOnlyList<InteractionReader> Readers { get; }

    /// <summary>The readers' names, in priority order.</summary>
    public IEnumerable<string> Names => Readers.Select(r => r.Name);

    /// <summary>A registry with <paramref name="reader"/> added last; a reader of the same name is replaced in place
    /// (e.g. a <see cref="TaobaoCsvReader"/> keeping other behaviours).</summary>
    public InteractionReaderRegistry With(InteractionReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var replaced = false;
        var readers = Readers.Select(r =>
        {
            if (!string.Equals(r.Name, reader.Name, StringComparison.OrdinalIgnoreCase)) return r;
            replaced = true;
            return reader;
        }).ToList();
        if (!replaced) readers.Add(reader);
        return new InteractionReaderRegistry(readers);
    }

    /// <summary>The reader named <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No reader has that name; the message lists the names.</exception>
    public InteractionReader Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return TryGet(name, out var reader)
            ? reader
            : throw new ArgumentException($"Unknown format '{name}': expected one of {string.Join('|', Names)}.", nameof(name));
    }

    /// <summary>Looks a reader up by name (case-insensitive).</summary>
    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out InteractionReader reader)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _byName.TryGetValue(name, out reader);
    }
}
