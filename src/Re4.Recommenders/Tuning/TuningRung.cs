namespace Re4.Recommenders.Tuning;

/// <summary>One rung of a <see cref="SuccessiveHalvingSchedule"/>.</summary>
/// <param name="Index">0 for the first.</param>
/// <param name="Configurations">How many configurations it trains.</param>
/// <param name="Steps">The step each of them is trained to (counted from its start: a promoted configuration continues
/// its training of the rung before).</param>
public sealed record TuningRung(int Index, int Configurations, long Steps);
