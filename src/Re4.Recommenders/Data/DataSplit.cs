namespace Re4.Recommenders.Data;

/// <summary>A data set divided by a <see cref="SplitProtocol"/>: training sequences (a user and how many of its first
/// items may be trained on), validation users and test users. Immutable.</summary>
public sealed class DataSplit
{
    private readonly int[] _trainUsers;
    private readonly int[] _trainLengths;

    internal DataSplit(SequenceDataset dataset, SplitProtocol protocol, int seed, int maxLength, int[] trainUsers, int[] trainLengths, EvaluationSet valid, EvaluationSet test, int skippedEvaluationUsers)
    {
        Dataset = dataset;
        Protocol = protocol;
        Seed = seed;
        MaxLength = maxLength;
        _trainUsers = trainUsers;
        _trainLengths = trainLengths;
        Valid = valid;
        Test = test;
        SkippedEvaluationUsers = skippedEvaluationUsers;
    }

    /// <summary>The data set split.</summary>
    public SequenceDataset Dataset { get; }

    /// <summary>The protocol used.</summary>
    public SplitProtocol Protocol { get; }

    /// <summary>The seed of the user shuffle (ComiRec protocol).</summary>
    public int Seed { get; }

    /// <summary>L: the longest history given to a model.</summary>
    public int MaxLength { get; }

    /// <summary>Number of training sequences (training users).</summary>
    public int TrainCount => _trainUsers.Length;

    /// <summary>Dense user index of training sequence <paramref name="i"/>.</summary>
    public int TrainUser(int i) => _trainUsers[i];

    /// <summary>The part of training user <paramref name="i"/>'s sequence that may be trained on.</summary>
    public ReadOnlySpan<int> TrainSequence(int i) => Dataset.Sequence(_trainUsers[i])[.._trainLengths[i]];

    /// <summary>Validation users (model selection).</summary>
    public EvaluationSet Valid { get; }

    /// <summary>Test users (report once, at the selected checkpoint).</summary>
    public EvaluationSet Test { get; }

    /// <summary>Validation or test users left out because their history or ground truth would be empty.</summary>
    public int SkippedEvaluationUsers { get; }

    /// <summary>Interactions per item over the training sequences only (index 0 is 0): what a popularity model may see.</summary>
    public long[] TrainItemFrequencies()
    {
        var counts = new long[Dataset.ItemCount + 1];
        for (var i = 0; i < TrainCount; i++)
        {
            foreach (var item in TrainSequence(i)) counts[item]++;
        }

        return counts;
    }
}
