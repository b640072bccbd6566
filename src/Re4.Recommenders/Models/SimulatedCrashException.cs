namespace Re4.Recommenders.Models;

/// <summary>Thrown by a test's <see cref="IFileSystemSteps"/> to stop a save as a kill would: the writer does not clean
/// up after it, so what is left on disk is what a real crash leaves.</summary>
internal sealed class SimulatedCrashException(SaveStep step, string path)
    : Exception($"Simulated crash after {step} ({path}).")
{
    /// <summary>The last step done.</summary>
    public SaveStep Step { get; } = step;
}
