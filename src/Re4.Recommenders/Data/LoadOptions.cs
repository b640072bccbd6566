using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Re4.Recommenders.Data;

/// <summary>Options of <see cref="InteractionFileReader"/>.</summary>
public sealed class LoadOptions
{
    private InteractionReaderRegistry _readers = InteractionReaderRegistry.BuiltIn;
    private ILogger _logger = NullLogger.Instance;

    /// <summary>The file's format, e.g. <c>new TaobaoCsvReader(["pv", "buy"])</c>; null (default) detects it from the
    /// first lines among <see cref="Readers"/>.</summary>
    public InteractionReader? Reader { get; set; }

    /// <summary>The formats auto-detection chooses from, in priority order; defaults to
    /// <see cref="InteractionReaderRegistry.BuiltIn"/>.</summary>
    public InteractionReaderRegistry Readers
    {
        get => _readers;
        set => _readers = value ?? throw new ArgumentNullException(nameof(value), "Readers cannot be null; use InteractionReaderRegistry.BuiltIn.");
    }

    /// <summary>When false (default), the first malformed line stops loading with a <see cref="DataFormatException"/>.
    /// When true, malformed lines are skipped, counted in <see cref="LoadReport"/> and logged as a warning.</summary>
    public bool Lenient { get; set; }

    /// <summary>Where progress and warnings go; defaults to <see cref="NullLogger.Instance"/>.</summary>
    public ILogger Logger
    {
        get => _logger;
        set => _logger = value ?? throw new ArgumentNullException(nameof(value), "Logger cannot be null; use NullLogger.Instance.");
    }

    /// <summary>Optional name recorded on the data set (defaults to the file name without extension).</summary>
    public string? Name { get; set; }
}
