namespace Re4.Cli;

/// <summary>The users a search used: training sequences and validation users.</summary>
/// <param name="Train">Training users.</param>
/// <param name="Valid">Validation users.</param>
internal sealed record TuneUsers(int Train, int Valid);
