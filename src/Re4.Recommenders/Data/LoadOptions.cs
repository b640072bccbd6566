using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Re4.Recommenders.Data;

/// <summary>Options of <see cref="InteractionFileReader"/>.</summary>
public sealed class LoadOptions
{
    /// <summary>The file format; <see cref="InteractionFormat.Auto"/> (default) detects it from the first lines.</summary>
    public InteractionFormat Format { get; set; } = InteractionFormat.Auto;

    /// <summary>When false (default), the first malformed line stops loading with a <see cref="DataFormatException"/>.
    /// When true, malformed lines are skipped, counted in <see cref="LoadReport"/> and logged as a warning.</summary>
    public bool Lenient { get; set; }

    /// <summary>Taobao behaviours to keep (default: <c>pv</c>, page views, as ComiRec does).</summary>
    public IReadOnlyCollection<string> TaobaoBehaviors { get; set; } = new[] { "pv" };

    /// <summary>Where progress and warnings go; defaults to <see cref="NullLogger.Instance"/>.</summary>
    public ILogger Logger { get; set; } = NullLogger.Instance;

    /// <summary>Optional name recorded on the data set (defaults to the file name without extension).</summary>
    public string? Name { get; set; }
}

/// <summary>What a load did: lines read, interactions kept, and what lenient mode skipped.</summary>
/// <param name="Format">The format read (after auto-detection).</param>
/// <param name="Lines">Non-empty lines read.</param>
/// <param name="Interactions">Interactions kept.</param>
/// <param name="SkippedMalformed">Malformed lines skipped (lenient mode only).</param>
/// <param name="SkippedBehavior">Taobao lines whose behaviour was not kept.</param>
/// <param name="HeaderSkipped">Whether a header line was recognised and skipped.</param>
public sealed record LoadReport(InteractionFormat Format, long Lines, long Interactions, long SkippedMalformed, long SkippedBehavior, bool HeaderSkipped);
