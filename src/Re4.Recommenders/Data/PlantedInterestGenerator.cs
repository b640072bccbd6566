namespace Re4.Recommenders.Data;

/// <summary>
/// Synthetic behaviour sequences with planted interests: the catalogue is divided into latent topics; each user picks
/// a few topics with random weights and draws each interaction from them (staying in the last topic with probability
/// <see cref="SyntheticDataOptions.Stickiness"/>), items within a topic by a popularity law, plus uniform noise. A model
/// that recovers users' topics can predict their next items; a popularity model cannot, which makes the data set a
/// check that training works, and the planted topics a ground truth for interest diagnostics.
/// </summary>
public static class PlantedInterestGenerator
{
    /// <summary>Generates a data set. Original user ids are 1..U and item ids 1..N; dense ids follow first appearance
    /// (use <see cref="DatasetPreparation.Prepare"/> to renumber by frequency). Deterministic for a seed.</summary>
    public static SequenceDataset Generate(SyntheticDataOptions? options = null)
    {
        options ??= new SyntheticDataOptions();
        options.Validate();
        var rng = new Random(options.Seed);
        var offsets = new int[options.Users + 1];
        var lengths = new int[options.Users];
        for (var u = 0; u < options.Users; u++)
        {
            lengths[u] = rng.Next(options.MinLength, options.MaxLength + 1);
            offsets[u + 1] = offsets[u] + lengths[u];
        }

        var items = new int[offsets[^1]];   // original ids first; renumbered below
        Span<int> topics = new int[options.MaxTopicsPerUser];
        Span<double> weights = new double[options.MaxTopicsPerUser];
        for (var u = 0; u < options.Users; u++)
        {
            var count = rng.Next(options.MinTopicsPerUser, options.MaxTopicsPerUser + 1);
            PickDistinct(rng, options.Topics, topics[..count]);
            var total = 0.0;
            for (var t = 0; t < count; t++) total += weights[t] = 0.2 + rng.NextDouble();
            var last = -1;
            for (var p = offsets[u]; p < offsets[u + 1]; p++)
            {
                if (rng.NextDouble() < options.Noise)
                {
                    items[p] = rng.Next(options.Items) + 1;
                    continue;
                }

                var topic = last >= 0 && rng.NextDouble() < options.Stickiness ? last : topics[Draw(rng, weights[..count], total)];
                last = topic;
                items[p] = ItemOfTopic(rng, topic, options);
            }
        }

        // Dense ids by first appearance, the same convention as the file loaders.
        var dense = new Dictionary<int, int>();
        var originals = new List<long> { 0 };
        for (var p = 0; p < items.Length; p++)
        {
            if (!dense.TryGetValue(items[p], out var id))
            {
                id = originals.Count;
                dense[items[p]] = id;
                originals.Add(items[p]);
            }

            items[p] = id;
        }

        var userIds = Enumerable.Range(1, options.Users).Select(u => (long)u).ToArray();
        return new SequenceDataset("synthetic", offsets, items, userIds, originals.ToArray());
    }

    /// <summary>The planted topic of an original item id (1..N).</summary>
    public static int TopicOf(long originalItemId, int topics) => (int)((originalItemId - 1) % topics);

    /// <summary>Writes a data set as one sequence per line (<c>user item item ...</c>, original ids), the format
    /// <see cref="Formats.SequencePerLineReader"/> reads back.</summary>
    public static void WriteSequences(SequenceDataset dataset, string path)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var temp = path + ".tmp";
        using (var writer = new StreamWriter(temp))
        {
            var sb = new System.Text.StringBuilder();
            for (var u = 0; u < dataset.UserCount; u++)
            {
                sb.Clear().Append(dataset.OriginalUserId(u));
                foreach (var item in dataset.Sequence(u)) sb.Append(' ').Append(dataset.OriginalItemId(item));
                writer.WriteLine(sb);
            }
        }

        File.Move(temp, path, overwrite: true);
    }

    internal static int ItemOfTopic(Random rng, int topic, SyntheticDataOptions o)
    {
        // Items of topic t are t+1, t+1+T, t+1+2T, ...: the topic's rank r item is t + 1 + r·T.
        var inTopic = (o.Items - topic + o.Topics - 1) / o.Topics;
        int rank;
        if (rng.NextDouble() < o.PopularitySkew)
        {
            // Log-uniform over ranks: P(r) ∝ log((r + 2)/(r + 1)) ≈ 1/(r + 1), a Zipf-like popularity law.
            rank = (int)Math.Floor(Math.Exp(rng.NextDouble() * Math.Log(inTopic + 1))) - 1;
            rank = Math.Clamp(rank, 0, inTopic - 1);
        }
        else
        {
            rank = rng.Next(inTopic);
        }

        return topic + 1 + rank * o.Topics;
    }

    internal static void PickDistinct(Random rng, int n, Span<int> result)
    {
        for (var i = 0; i < result.Length; i++)
        {
            int candidate;
            do candidate = rng.Next(n);
            while (result[..i].Contains(candidate));
            result[i] = candidate;
        }
    }

    internal static int Draw(Random rng, ReadOnlySpan<double> weights, double total)
    {
        var x = rng.NextDouble() * total;
        for (var i = 0; i < weights.Length; i++)
        {
            x -= weights[i];
            if (x < 0) return i;
        }

        return weights.Length - 1;
    }
}
