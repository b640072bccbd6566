using static TorchSharp.torch;

namespace Re4.Recommenders.Training;

/// <summary>The named parts of one step's loss, in the order an <see cref="ITrainingObjective"/> reports them. The one
/// place that stops a run whose loss is no longer finite.</summary>
/// <remarks>Created by the trainer, which adds the part <c>total</c> after the objective returns. Not thread-safe.</remarks>
public sealed class StepLossParts
{
    /// <summary>The part the trainer adds itself: the loss it back-propagates.</summary>
    public const string Total = "total";

    private readonly List<KeyValuePair<string, double>> _parts = new();

    internal StepLossParts()
    {
    }

    /// <summary>The step being taken (1 for the first).</summary>
    public long Step { get; private set; }

    /// <summary>The parts reported so far, in order.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> Values => _parts;

    /// <summary>Reads a scalar loss, records it under <paramref name="name"/> and returns its value.</summary>
    /// <param name="name">The part's name (a flow's <see cref="BackwardFlows.IBackwardFlow.Name"/>, or <c>main</c>); unique
    /// within a step and not <see cref="Total"/>.</param>
    /// <param name="loss">A scalar tensor.</param>
    /// <exception cref="TrainingDivergedException">The value is NaN or infinite.</exception>
    public double Add(string name, Tensor loss)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name == Total) throw new ArgumentException($"'{Total}' is the trainer's own part.", nameof(name));
        return Record(name, loss);
    }

    internal void Begin(long step)
    {
        Step = step;
        _parts.Clear();
    }

    internal double AddTotal(Tensor loss) => Record(Total, loss);

    private double Record(string name, Tensor loss)
    {
        ArgumentNullException.ThrowIfNull(loss);
        if (_parts.Exists(p => p.Key == name)) throw new ArgumentException($"The part '{name}' was already reported in this step.", nameof(name));
        var value = loss.item<float>();
        if (!float.IsFinite(value)) throw new TrainingDivergedException(Step, name, value);
        _parts.Add(new(name, value));
        return value;
    }
}
