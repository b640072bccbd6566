namespace Re4.Recommenders;

/// <summary>The argument checks every options class shares, so each failure names the option the same way.</summary>
internal static class OptionChecks
{
    /// <summary>The largest factor an option may put into a tensor operation. Training runs in float32 (largest value
    /// 3.4e38) and libtorch refuses a Scalar that does not fit the tensor's type with a native error, so every factor
    /// the trainer derives from an option (Adam's step lr / (1 - β1), at most 10·lr; a flow's weight; 1/τ) must stay
    /// below it with room to spare.</summary>
    public const double MaxFactor = 1e30;

    public static void Positive(int value, string name)
    {
        if (value <= 0) throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive.");
    }

    /// <summary>A weight or a rate: finite, non-negative and at most <see cref="MaxFactor"/>.</summary>
    public static void NonNegativeFinite(double value, string name)
    {
        if (!(value >= 0) || double.IsInfinity(value)) throw new ArgumentOutOfRangeException(name, value, $"{name} must be a non-negative finite number.");
        if (value > MaxFactor) throw new ArgumentOutOfRangeException(name, value, $"{name} must be at most {MaxFactor:0e0} (float32 training would overflow).");
    }

    /// <summary>A strictly positive factor in (0, <see cref="MaxFactor"/>] whose inverse is at most <see cref="MaxFactor"/> too
    /// when <paramref name="inverted"/> (a temperature divides).</summary>
    public static void PositiveFactor(double value, string name, bool inverted = false)
    {
        if (!(value > 0) || double.IsInfinity(value)) throw new ArgumentOutOfRangeException(name, value, $"{name} must be a positive finite number.");
        if (value > MaxFactor) throw new ArgumentOutOfRangeException(name, value, $"{name} must be at most {MaxFactor:0e0} (float32 training would overflow).");
        if (inverted && value < 1 / MaxFactor) throw new ArgumentOutOfRangeException(name, value, $"{name} must be at least {1 / MaxFactor:0e0} (its inverse would overflow float32 training).");
    }

    public static void Probability(double value, string name)
    {
        if (value is < 0 or > 1 || double.IsNaN(value)) throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [0, 1].");
    }

    /// <summary>The message an argument exception was made with, without the "(Parameter 'x')" and "Actual value was"
    /// lines .NET appends: one line for a one-line error.</summary>
    public static string Reason(ArgumentException e)
    {
        var message = e.Message;
        var newline = message.IndexOf('\n', StringComparison.Ordinal);
        if (newline >= 0) message = message[..newline].TrimEnd('\r');
        var suffix = $" (Parameter '{e.ParamName}')";
        return e.ParamName is not null && message.EndsWith(suffix, StringComparison.Ordinal) ? message[..^suffix.Length] : message;
    }
}
