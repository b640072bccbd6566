namespace Re4.Recommenders.Models;

/// <summary>Told of each step of a checkpoint save (<see cref="SaveStep"/>): the seam through which tests crash a save at
/// every instant. Throwing <see cref="SimulatedCrashException"/> stops the save as a kill would, leaving its files as
/// they are.</summary>
internal interface IFileSystemSteps
{
    /// <summary>Called after <paramref name="step"/> was done, on <paramref name="path"/> (the file or folder it concerned).</summary>
    void Reached(SaveStep step, string path);
}
