using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using static TorchSharp.torch;

namespace Re4.Recommenders.Training;

/// <summary>One training step's batch, encoded by the model: what an <see cref="ITrainingObjective"/> computes its loss
/// from. Its tensors are borrowed (the trainer's step scope owns them): do not dispose them.</summary>
public sealed class TrainingStepContext
{
    internal TrainingStepContext(MultiInterestModel model, InterestOutput output, Tensor history, Tensor mask, Tensor targets,
        Tensor? negativeItems, Tensor? negativeLogExpected, Tensor? targetLogExpected, Tensor? itemTable = null)
    {
        Model = model;
        _itemTable = itemTable;
        Output = output;
        History = history;
        Mask = mask;
        Targets = targets;
        NegativeItems = negativeItems;
        NegativeLogExpected = negativeLogExpected;
        TargetLogExpected = targetLogExpected;
    }

    /// <summary>Which code computes the main loss's logits (<see cref="TrainerOptions.LogitsKernel"/>).</summary>
    internal LogitsKernel LogitsKernel { get; init; }

    /// <summary>The table <see cref="Targets"/>, <see cref="NegativeItems"/> and the histories index: the model's item
    /// table, or in a lazy step of the default objective the rows the batch used, gathered (row 0 the table's padding row), with the ids
    /// renumbered into it: those ids must never index <see cref="Model"/>'s table, whose rows then get no update.</summary>
    internal Tensor ItemTable => _itemTable ?? Model.ItemEmbeddings;

    private readonly Tensor? _itemTable;

    /// <summary>The model being trained (its item table is the output softmax's weights).</summary>
    public MultiInterestModel Model { get; }

    /// <summary>The extractor's output: Z, A, log A and U.</summary>
    public InterestOutput Output { get; }

    /// <summary>X, the history embeddings, <c>[B, L, d]</c>, padding rows 0.</summary>
    public Tensor History { get; }

    /// <summary>m, the valid-item mask, <c>[B, L]</c>, float 0/1.</summary>
    public Tensor Mask { get; }

    /// <summary>The item to predict for each row, <c>[B]</c> int64 ids in 1..N.</summary>
    public Tensor Targets { get; }

    /// <summary>The negatives shared by the batch, <c>[S]</c> int64 ids, or null for a full softmax
    /// (<see cref="NegativeSampling.Full"/>).</summary>
    public Tensor? NegativeItems { get; }

    /// <summary>log expected count of each negative, <c>[S]</c>, for the logQ correction; null when none applies.</summary>
    public Tensor? NegativeLogExpected { get; }

    /// <summary>log expected count of each target, <c>[B]</c>, for the logQ correction; null when none applies.</summary>
    public Tensor? TargetLogExpected { get; }

    /// <summary>The tensors a backward flow reads (Z, A, log A, X, m).</summary>
    public BackwardFlowContext FlowContext() => new(Output.Interests, Output.Attention, Output.LogAttention, History, Mask) { Kernel = LogitsKernel };
}
