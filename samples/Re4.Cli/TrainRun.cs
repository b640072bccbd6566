using Re4.Recommenders.Diagnostics;
using Re4.Recommenders.Training;

namespace Re4.Cli;

/// <summary>What <see cref="TrainCommand.Train"/> returns: the run's report name, result, test-user diagnostics, the
/// writer of its result files and how many validation users each validation evaluated.</summary>
internal sealed record TrainRun(string Name, TrainingResult Result, InterestDiagnosticsReport? Diagnostics, RunReport Report, int ValidationUsers);
