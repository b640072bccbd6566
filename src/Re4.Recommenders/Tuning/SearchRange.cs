using System.Globalization;

namespace Re4.Recommenders.Tuning;

/// <summary>Where a hyperparameter is searched: [<paramref name="Low"/>, <paramref name="High"/>] on a scale (equal ends
/// fix it). Sampled values are rounded to three significant digits, so that the value reported is the value trained.</summary>
/// <param name="Low">The lower end (positive on the log scale).</param>
/// <param name="High">The upper end, at least <paramref name="Low"/>.</param>
/// <param name="Scale">Linear or log.</param>
public sealed record SearchRange(double Low, double High, SearchScale Scale = SearchScale.Log)
{
    /// <summary>Checks the ends.</summary>
    /// <param name="parameterName">The name the exception gives.</param>
    /// <exception cref="ArgumentOutOfRangeException">An end is not finite, the ends are reversed, or a log range does not
    /// lie above 0.</exception>
    public void Validate(string parameterName)
    {
        if (!double.IsFinite(Low) || !double.IsFinite(High))
            throw new ArgumentOutOfRangeException(parameterName, string.Create(CultureInfo.InvariantCulture, $"The range {Low}..{High} must have finite ends."));
        if (Low > High)
            throw new ArgumentOutOfRangeException(parameterName, string.Create(CultureInfo.InvariantCulture, $"The range {Low}..{High} has its low end above its high end."));
        if (Scale == SearchScale.Log && !(Low > 0))
            throw new ArgumentOutOfRangeException(parameterName, string.Create(CultureInfo.InvariantCulture, $"The log range {Low}..{High} must lie above 0."));
    }

    /// <summary>One value drawn from <paramref name="random"/> (one <see cref="Random.NextDouble"/>), rounded to three
    /// significant digits and kept within the ends.</summary>
    public double Sample(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var u = random.NextDouble();
        var value = Scale == SearchScale.Log
            ? Math.Exp(Math.Log(Low) + u * (Math.Log(High) - Math.Log(Low)))
            : Low + u * (High - Low);
        var rounded = double.Parse(value.ToString("G3", CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture);
        return Math.Clamp(rounded, Low, High);
    }
}
