namespace Re4.Recommenders.Training;

/// <summary>The state of a <see cref="SubtractiveRandom"/>, as stored in a resume state.</summary>
/// <param name="Values">The 55 lagged values.</param>
/// <param name="Next">The cursor of the value replaced by the last draw (0 before the first draw).</param>
/// <param name="NextLagged">The cursor 21 places ahead of it.</param>
internal sealed record SubtractiveRandomState(int[] Values, int Next, int NextLagged);
