namespace Re4.Recommenders.Data;

/// <summary>Splits a <see cref="SequenceDataset"/> by the protocols of <see cref="SplitProtocol"/>.</summary>
public static class DataSplitter
{
    /// <summary>The default longest history, L = 20 (ComiRec, Re4).</summary>
    public const int DefaultMaxLength = 20;

    /// <summary>Splits with the given protocol and defaults (80/10/10, history fraction 0.8).</summary>
    public static DataSplit Split(SequenceDataset dataset, SplitProtocol protocol, int seed, int maxLength = DefaultMaxLength) => protocol switch
    {
        SplitProtocol.ComiRec => ComiRec(dataset, seed, maxLength),
        SplitProtocol.LeaveOneOut => LeaveOneOut(dataset, maxLength),
        _ => throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "Unknown protocol."),
    };

    /// <summary>ComiRec's protocol: users shuffled with <paramref name="seed"/> (Fisher–Yates over <see cref="Random"/>),
    /// the first ⌊trainFraction·U⌋ train, the next ⌊validFraction·U⌋ validate, the rest test. An evaluated user's history
    /// is the last ≤ <paramref name="maxLength"/> items of its first ⌊historyFraction·len⌋ items; the ground truth is the
    /// rest. Users whose history or ground truth would be empty are skipped and counted.</summary>
    public static DataSplit ComiRec(SequenceDataset dataset, int seed, int maxLength = DefaultMaxLength,
        double trainFraction = 0.8, double validFraction = 0.1, double historyFraction = 0.8)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLength);
        if (trainFraction is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(trainFraction), trainFraction, "Must be in (0, 1).");
        if (validFraction is <= 0 || trainFraction + validFraction >= 1)
            throw new ArgumentOutOfRangeException(nameof(validFraction), validFraction, "Must be positive and leave room for test users.");
        if (historyFraction is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(historyFraction), historyFraction, "Must be in (0, 1).");

        var users = Enumerable.Range(0, dataset.UserCount).ToArray();
        var rng = new Random(seed);
        for (var i = users.Length - 1; i > 0; i--)
        {
            var j = rng.Next(i + 1);
            (users[i], users[j]) = (users[j], users[i]);
        }

        var nTrain = (int)(trainFraction * users.Length);
        var nValid = (int)(validFraction * users.Length);
        var train = users[..nTrain];
        var trainLengths = train.Select(dataset.Length).ToArray();
        var skipped = 0;
        var valid = Evaluation(dataset, users.AsSpan(nTrain, nValid), maxLength, historyFraction, ref skipped);
        var test = Evaluation(dataset, users.AsSpan(nTrain + nValid), maxLength, historyFraction, ref skipped);
        return new DataSplit(dataset, SplitProtocol.ComiRec, seed, maxLength, train, trainLengths, valid, test, skipped);
    }

    /// <summary>Leave-one-out: every user with at least 3 items trains on all but its last two, validates on the second
    /// last (history: the ≤ L items before it) and is tested on the last (history: the ≤ L items before it). Users with
    /// fewer than 3 items train on all their items.</summary>
    public static DataSplit LeaveOneOut(SequenceDataset dataset, int maxLength = DefaultMaxLength)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLength);
        var train = new int[dataset.UserCount];
        var trainLengths = new int[dataset.UserCount];
        var valid = new List<(int, int[], int[])>();
        var test = new List<(int, int[], int[])>();
        for (var u = 0; u < dataset.UserCount; u++)
        {
            var seq = dataset.Sequence(u);
            train[u] = u;
            if (seq.Length < 3)
            {
                trainLengths[u] = seq.Length;
                continue;
            }

            trainLengths[u] = seq.Length - 2;
            valid.Add((u, Last(seq[..^2], maxLength), [seq[^2]]));
            test.Add((u, Last(seq[..^1], maxLength), [seq[^1]]));
        }

        return new DataSplit(dataset, SplitProtocol.LeaveOneOut, 0, maxLength, train, trainLengths,
            EvaluationSet.Build(valid), EvaluationSet.Build(test), 0);
    }

    private static EvaluationSet Evaluation(SequenceDataset dataset, ReadOnlySpan<int> users, int maxLength, double historyFraction, ref int skipped)
    {
        var rows = new List<(int, int[], int[])>(users.Length);
        foreach (var u in users)
        {
            var seq = dataset.Sequence(u);
            var cut = (int)(historyFraction * seq.Length);
            if (cut == 0 || cut == seq.Length)
            {
                skipped++;
                continue;
            }

            rows.Add((u, Last(seq[..cut], maxLength), seq[cut..].ToArray()));
        }

        return EvaluationSet.Build(rows);
    }

    private static int[] Last(ReadOnlySpan<int> s, int maxLength) => s[Math.Max(0, s.Length - maxLength)..].ToArray();
}
