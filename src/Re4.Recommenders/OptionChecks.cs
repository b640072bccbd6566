namespace Re4.Recommenders;

/// <summary>The argument checks every options class shares, so each failure names the option the same way.</summary>
internal static class OptionChecks
{
    public static void Positive(int value, string name)
    {
        if (value <= 0) throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive.");
    }

    public static void NonNegativeFinite(double value, string name)
    {
        if (!(value >= 0) || double.IsInfinity(value)) throw new ArgumentOutOfRangeException(name, value, $"{name} must be a non-negative finite number.");
    }

    public static void Probability(double value, string name)
    {
        if (value is < 0 or > 1 || double.IsNaN(value)) throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [0, 1].");
    }
}
