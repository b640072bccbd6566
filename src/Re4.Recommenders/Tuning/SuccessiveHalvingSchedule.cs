namespace Re4.Recommenders.Tuning;

/// <summary>
/// The rungs of successive halving (Jamieson and Talwalkar, 2016; the inner loop of Hyperband): rung 0 trains
/// <see cref="Configurations"/> configurations for <see cref="MinSteps"/> steps each; each next rung keeps the best
/// ⌊n/η⌋ (at least one) and trains them η times as long in total; the last rung holds one configuration.
/// </summary>
/// <param name="Configurations">n, the configurations sampled (default 9).</param>
/// <param name="ReductionFactor">η (default 3): a rung keeps 1/η of the configurations and multiplies the steps by η.</param>
/// <param name="MinSteps">The steps of rung 0 (default 1000).</param>
public sealed record SuccessiveHalvingSchedule(int Configurations = 9, int ReductionFactor = 3, long MinSteps = 1000)
{
    /// <summary>Checks the schedule.</summary>
    /// <exception cref="ArgumentOutOfRangeException">n or the steps are not positive, η is below 2, or the last rung's steps
    /// overflow.</exception>
    public void Validate()
    {
        OptionChecks.Positive(Configurations, nameof(Configurations));
        if (ReductionFactor < 2) throw new ArgumentOutOfRangeException(nameof(ReductionFactor), ReductionFactor, $"{nameof(ReductionFactor)} must be at least 2.");
        if (MinSteps <= 0) throw new ArgumentOutOfRangeException(nameof(MinSteps), MinSteps, $"{nameof(MinSteps)} must be positive.");
        var steps = MinSteps;
        for (var n = Configurations; n > 1; n = Math.Max(1, n / ReductionFactor))
        {
            if (steps > int.MaxValue / ReductionFactor)
                throw new ArgumentOutOfRangeException(nameof(MinSteps), MinSteps, $"{nameof(MinSteps)}·η^rungs exceeds {int.MaxValue} steps; use fewer configurations or fewer steps.");
            steps *= ReductionFactor;
        }
    }

    /// <summary>The rungs in order: how many configurations each trains, and to how many steps in total.</summary>
    public IReadOnlyList<TuningRung> Rungs
    {
        get
        {
            Validate();
            var rungs = new List<TuningRung>();
            var steps = MinSteps;
            var n = Configurations;
            while (true)
            {
                rungs.Add(new TuningRung(rungs.Count, n, steps));
                if (n == 1) return rungs;
                n = Math.Max(1, n / ReductionFactor);
                steps *= ReductionFactor;
            }
        }
    }
}
