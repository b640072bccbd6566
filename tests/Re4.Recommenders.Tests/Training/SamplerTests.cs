using Re4.Recommenders.Data;
using Re4.Recommenders.Training;

namespace Re4.Recommenders.Tests.Training;

public sealed class SamplerTests
{
    private const int L = 3;

    /// <summary>
    /// Users 0..9 have n = u + 4 items, item id = 20u + p + 1 at position p, so a target id names its user
    /// ((id − 1) / 20) and position ((id − 1) mod 20), and the items before it are the ids just below it.
    /// User 10 has a single item (id 201). Leave-one-out with L = 3 trains users 0..9 on their first
    /// t = u + 2 items and user 10 on its one item, which can give no example.
    /// </summary>
    private static DataSplit Split()
    {
        var sequences = Enumerable.Range(0, 10).Select(u => Enumerable.Range(0, u + 4).Select(p => 20 * u + p + 1).ToArray())
            .Append(new[] { 201 }).ToArray();
        var offsets = new int[sequences.Length + 1];
        for (var u = 0; u < sequences.Length; u++) offsets[u + 1] = offsets[u] + sequences[u].Length;
        var ds = new SequenceDataset("sampler", offsets, sequences.SelectMany(s => s).ToArray(),
            Enumerable.Range(0, sequences.Length).Select(u => (long)u).ToArray(), Enumerable.Range(0, 202).Select(i => (long)i).ToArray());
        return DataSplitter.LeaveOneOut(ds, maxLength: L);
    }

    private static int UserOf(int item) => (item - 1) / 20;

    private static int PositionOf(int item) => (item - 1) % 20;

    private static int TrainLength(int user) => user + 2;

    /// <summary>Row b: Lengths[b] = min(k, L) items, the ids just before the target (oldest first, or reversed), then zeros.</summary>
    private static void CheckRow(TrainingBatch batch, int b, bool reversed)
    {
        var target = batch.Targets[b];
        var k = PositionOf(target);
        var length = Math.Min(k, L);
        batch.Lengths[b].Should().Be(length);
        var expected = Enumerable.Range(target - length, length).ToArray();
        if (reversed) Array.Reverse(expected);
        var row = batch.Histories.AsSpan(b * L, L).ToArray();
        row.Take(length).Should().Equal(expected);
        row.Skip(length).Where(x => x != 0).Should().BeEmpty("padding (zeros) follows the valid items");
    }

    private static void SameBatch(TrainingBatch a, TrainingBatch b)
    {
        a.Histories.Should().Equal(b.Histories);
        a.Lengths.Should().Equal(b.Lengths);
        a.Targets.Should().Equal(b.Targets);
    }

    [Fact]
    public void RandomCut_DrawsRowsThatAreCutsInTheComiRecRange_WithPaddedHistories()
    {
        var sampler = new RandomCutSampler(Split(), batchSize: 5, seed: 11);
        var cuts = new Dictionary<int, List<int>>();

        for (var n = 0; n < 200; n++)
        {
            var batch = sampler.Next();
            batch.Size.Should().Be(5);
            batch.MaxLength.Should().Be(L);
            batch.Targets.Select(UserOf).Should().OnlyHaveUniqueItems("a batch draws distinct users");
            for (var b = 0; b < 5; b++)
            {
                var user = UserOf(batch.Targets[b]);
                user.Should().BeLessThan(10, "user 10 has one training item and cannot give an example");
                CheckRow(batch, b, reversed: false);
                if (!cuts.TryGetValue(user, out var list)) cuts[user] = list = [];
                list.Add(PositionOf(batch.Targets[b]));
            }
        }

        // Cut k in [min(4, t - 1), t - 1]: t = 2 -> {1}; t = 3 -> {2}; t = 5 -> {4}; t = 6 -> {4, 5}; t = 11 -> 4..10.
        foreach (var (user, ks) in cuts)
        {
            var t = TrainLength(user);
            ks.Distinct().Order().Should().Equal(Enumerable.Range(Math.Min(4, t - 1), t - Math.Min(4, t - 1)),
                "user {0} (t = {1}) is cut everywhere in the range over 100 draws, and nowhere else", user, t);
        }

        cuts.Keys.Should().BeEquivalentTo(Enumerable.Range(0, 10));
    }

    [Fact]
    public void RandomCut_IsDeterministicForASeed()
    {
        var split = Split();
        var a = new RandomCutSampler(split, 4, seed: 3);
        var b = new RandomCutSampler(split, 4, seed: 3);
        var c = new RandomCutSampler(split, 4, seed: 4);
        var differs = false;

        for (var n = 0; n < 20; n++)
        {
            var ba = a.Next();
            SameBatch(ba, b.Next());
            differs |= !ba.Targets.SequenceEqual(c.Next().Targets);
        }

        differs.Should().BeTrue();
    }

    [Fact]
    public void RandomCut_ReversesHistoriesOnRequest()
    {
        var sampler = new RandomCutSampler(Split(), 10, seed: 1, reverseHistory: true);

        var batch = sampler.Next();

        for (var b = 0; b < 10; b++) CheckRow(batch, b, reversed: true);
    }

    [Fact]
    public void RandomCutEpoch_CountsBatchesTimesSizeOverEligibleUsers()
    {
        // 10 eligible users, B = 5: two batches make one epoch.
        var sampler = new RandomCutSampler(Split(), 5, seed: 0);

        sampler.Epoch.Should().Be(0);
        sampler.Next();
        sampler.Epoch.Should().Be(0);
        sampler.Next();
        sampler.Epoch.Should().Be(1);
    }

    [Fact]
    public void RandomCut_ThrowsForABatchLargerThanTheEligibleUsers()
    {
        var split = Split();

        ((Action)(() => _ = new RandomCutSampler(split, 10, 0))).Should().NotThrow();
        ((Action)(() => _ = new RandomCutSampler(split, 11, 0))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("batchSize");
    }

    [Fact]
    public void EveryPrefix_ThrowsForABatchLargerThanTheExamples()
    {
        var split = Split();
        var examples = new EveryPrefixSampler(split, 1, 0).ExampleCount;

        ((Action)(() => _ = new EveryPrefixSampler(split, examples, 0))).Should().NotThrow();
        ((Action)(() => _ = new EveryPrefixSampler(split, examples + 1, 0))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("batchSize");
    }

    [Fact]
    public void EveryPrefix_VisitsEveryUserAndCutOncePerEpochInTheSameOrder()
    {
        // Examples: for each user, k = 1..t-1 -> sum over u of (u + 1) = 55; B = 5 -> 11 batches an epoch.
        var sampler = new EveryPrefixSampler(Split(), 5, seed: 9);
        var expected = Enumerable.Range(0, 10).SelectMany(u => Enumerable.Range(1, TrainLength(u) - 1).Select(k => 20 * u + k + 1)).ToArray();
        sampler.ExampleCount.Should().Be(55);
        expected.Should().HaveCount(55);

        var first = new List<int>();
        for (var n = 0; n < 11; n++)
        {
            var batch = sampler.Next();
            for (var b = 0; b < 5; b++) CheckRow(batch, b, reversed: false);
            first.AddRange(batch.Targets);
        }

        first.Should().BeEquivalentTo(expected, "every (user, k) once");
        first.Should().NotEqual(expected, "the examples are shuffled");
        sampler.Epoch.Should().Be(1, "55 of 55 examples make one completed pass");

        var second = new List<int>();
        for (var n = 0; n < 11; n++) second.AddRange(sampler.Next().Targets);

        second.Should().Equal(first, "shuffled once, visited in the same order every epoch");
        sampler.Epoch.Should().Be(2);
    }

    [Fact]
    public void EveryPrefix_RunsBatchesAcrossTheEpochBoundary()
    {
        // B = 7: 7 batches hold 49 examples (epoch 0); the 8th holds the last 6 and the first of the next pass.
        var sampler = new EveryPrefixSampler(Split(), 7, seed: 2);
        var seen = new List<int>();

        for (var n = 0; n < 7; n++) seen.AddRange(sampler.Next().Targets);
        sampler.Epoch.Should().Be(0);
        seen.AddRange(sampler.Next().Targets);
        sampler.Epoch.Should().Be(1);

        seen.Take(55).Should().OnlyHaveUniqueItems().And.HaveCount(55);
        seen[55].Should().Be(seen[0]);
    }

    [Fact]
    public void EveryPrefix_IsDeterministicForASeed_AndReversesOnRequest()
    {
        var split = Split();
        var a = new EveryPrefixSampler(split, 5, seed: 4);
        var b = new EveryPrefixSampler(split, 5, seed: 4);
        var r = new EveryPrefixSampler(split, 5, seed: 4, reverseHistory: true);

        for (var n = 0; n < 12; n++)
        {
            var ba = a.Next();
            SameBatch(ba, b.Next());
            var br = r.Next();
            br.Targets.Should().Equal(ba.Targets);
            for (var i = 0; i < 5; i++) CheckRow(br, i, reversed: true);
        }

        new EveryPrefixSampler(split, 55, seed: 5).Next().Targets.Should().NotEqual(new EveryPrefixSampler(split, 55, seed: 4).Next().Targets);
    }

    [Fact]
    public void EveryPrefix_ThrowsForASplitWithoutExamples()
    {
        var ds = new SequenceDataset("one", [0, 1], [1], [1L], [0L, 1L]);

        ((Action)(() => _ = new EveryPrefixSampler(DataSplitter.LeaveOneOut(ds), 4, 0))).Should().Throw<ArgumentException>();
        ((Action)(() => _ = new RandomCutSampler(DataSplitter.LeaveOneOut(ds), 1, 0))).Should().Throw<ArgumentException>();
    }
}
