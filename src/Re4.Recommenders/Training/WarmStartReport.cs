namespace Re4.Recommenders.Training;

/// <summary>How a warm start (<see cref="MultiInterestTrainer.WarmStart"/>) matched the new data's items to the
/// checkpoint's, by original id.</summary>
/// <param name="Kept">Items of the new data the checkpoint knew: their embeddings are the checkpoint's.</param>
/// <param name="Added">Items new to the checkpoint: their embeddings are freshly initialised.</param>
/// <param name="Dropped">Items of the checkpoint the new data no longer has: their embeddings are not carried over.</param>
public sealed record WarmStartReport(int Kept, int Added, int Dropped);
