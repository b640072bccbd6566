namespace Re4.Cli;

/// <summary>The <c>users</c> object of <c>metrics.json</c>: training, validation and test users of the split.</summary>
/// <param name="Train">Training users.</param>
/// <param name="Valid">Validation users.</param>
/// <param name="Test">Test users.</param>
internal sealed record UserCounts(int Train, int Valid, int Test);
