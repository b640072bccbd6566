using Re4.Recommenders.Data;
using static Re4.Recommenders.Tests.Data.DataTestHelpers;

namespace Re4.Recommenders.Tests.Data;

public sealed class DataSplitterTests
{
    /// <summary>U users, user u's sequence is 2 + (u mod 5) items (all ≥ 2, so nobody is skipped).</summary>
    private static SequenceDataset Users(int count) =>
        Identity(10, Enumerable.Range(0, count).Select(u => Enumerable.Range(1, 2 + u % 5).ToArray()).ToArray());

    private static int[] TrainUsers(DataSplit s) => Enumerable.Range(0, s.TrainCount).Select(s.TrainUser).ToArray();

    private static int[] EvalUsers(EvaluationSet e) => Enumerable.Range(0, e.Count).Select(e.User).ToArray();

    [Theory]
    [InlineData(100, 80, 10, 10)]
    [InlineData(10, 8, 1, 1)]
    [InlineData(7, 5, 0, 2)]     // floor(5.6) = 5, floor(0.7) = 0, the remaining 2 test
    [InlineData(23, 18, 2, 3)]   // floor(18.4) = 18, floor(2.3) = 2, 3 left
    public void ComiRec_SplitsUsers80Train10Valid10Test_DisjointlyCoveringEveryone(int users, int train, int valid, int test)
    {
        var split = DataSplitter.ComiRec(Users(users), seed: 1);

        split.TrainCount.Should().Be(train);
        split.Valid.Count.Should().Be(valid);
        split.Test.Count.Should().Be(test);
        split.SkippedEvaluationUsers.Should().Be(0);
        var all = TrainUsers(split).Concat(EvalUsers(split.Valid)).Concat(EvalUsers(split.Test)).ToArray();
        all.Should().OnlyHaveUniqueItems();
        all.Should().BeEquivalentTo(Enumerable.Range(0, users));
        split.Protocol.Should().Be(SplitProtocol.ComiRec);
        split.Seed.Should().Be(1);
        split.MaxLength.Should().Be(DataSplitter.DefaultMaxLength);
    }

    [Fact]
    public void ComiRec_IsDeterministicForASeed_AndDiffersForAnother()
    {
        var ds = Users(100);

        var a = DataSplitter.ComiRec(ds, seed: 7);
        var b = DataSplitter.ComiRec(ds, seed: 7);
        var c = DataSplitter.ComiRec(ds, seed: 8);

        TrainUsers(a).Should().Equal(TrainUsers(b));
        EvalUsers(a.Valid).Should().Equal(EvalUsers(b.Valid));
        EvalUsers(a.Test).Should().Equal(EvalUsers(b.Test));
        // 100! orderings: two seeds giving the same one would be a broken shuffle.
        TrainUsers(a).Should().NotEqual(TrainUsers(c));
    }

    [Fact]
    public void ComiRec_TrainsTrainingUsersOnTheirWholeSequence()
    {
        var ds = Users(20);
        var split = DataSplitter.ComiRec(ds, seed: 3);

        for (var i = 0; i < split.TrainCount; i++)
            split.TrainSequence(i).ToArray().Should().Equal(ds.Sequence(split.TrainUser(i)).ToArray());
    }

    [Fact]
    public void ComiRec_MatchesHandComputedHistoryAndTargets_ForLengths7And30()
    {
        // Even users: 1..7. floor(0.8*7) = floor(5.6) = 5 -> history = first 5 = 1..5 (≤ 20 so all of it), targets 6, 7.
        // Odd users: 1..30. floor(0.8*30) = 24 -> the first 24 are 1..24, the last 20 of them 5..24; targets 25..30.
        var ds = Identity(30, Enumerable.Range(0, 20).Select(u => Enumerable.Range(1, u % 2 == 0 ? 7 : 30).ToArray()).ToArray());
        var seen7 = false;
        var seen30 = false;
        for (var seed = 0; seed < 50 && !(seen7 && seen30); seed++)
        {
            var split = DataSplitter.ComiRec(ds, seed, maxLength: 20);
            foreach (var set in new[] { split.Valid, split.Test })
            {
                for (var i = 0; i < set.Count; i++)
                {
                    if (set.User(i) % 2 == 0)
                    {
                        set.History(i).ToArray().Should().Equal(1, 2, 3, 4, 5);
                        set.Targets(i).ToArray().Should().Equal(6, 7);
                        seen7 = true;
                    }
                    else
                    {
                        set.History(i).ToArray().Should().Equal(Enumerable.Range(5, 20));
                        set.Targets(i).ToArray().Should().Equal(25, 26, 27, 28, 29, 30);
                        seen30 = true;
                    }
                }
            }
        }

        seen7.Should().BeTrue();
        seen30.Should().BeTrue();
    }

    [Fact]
    public void ComiRec_KeepsDuplicateTargetsInTimeOrder()
    {
        // Length 10: cut floor(0.8*10) = 8 -> history = items 1..8, targets = 9, 9 (the duplicate kept). 10 users: 8/1/1.
        var ds = Identity(9, Enumerable.Range(0, 10).Select(_ => new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 9 }).ToArray());

        var split = DataSplitter.ComiRec(ds, seed: 0);

        split.Test.Count.Should().Be(1);
        split.Test.History(0).ToArray().Should().Equal(1, 2, 3, 4, 5, 6, 7, 8);
        split.Test.Targets(0).ToArray().Should().Equal(9, 9);
    }

    [Fact]
    public void ComiRec_SkipsAndCountsUsers_WhoseHistoryWouldBeEmpty()
    {
        // Ten users of length 1: floor(0.8) = 0 -> empty history. 8 train; the 1 valid and 1 test user are skipped.
        var ds = Identity(1, Enumerable.Range(0, 10).Select(_ => new[] { 1 }).ToArray());

        var split = DataSplitter.ComiRec(ds, seed: 5);

        split.TrainCount.Should().Be(8);
        split.Valid.Count.Should().Be(0);
        split.Test.Count.Should().Be(0);
        split.SkippedEvaluationUsers.Should().Be(2);
    }

    [Fact]
    public void ComiRec_ThrowsForInvalidArguments()
    {
        var ds = Users(10);

        ((Action)(() => DataSplitter.ComiRec(ds, 0, maxLength: 0))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => DataSplitter.ComiRec(ds, 0, trainFraction: 1))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("trainFraction");
        ((Action)(() => DataSplitter.ComiRec(ds, 0, validFraction: 0.2, trainFraction: 0.8))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("validFraction");
        ((Action)(() => DataSplitter.ComiRec(ds, 0, historyFraction: 0))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("historyFraction");
    }

    [Fact]
    public void TrainItemFrequencies_CountsTrainingUsersOnly()
    {
        var ds = Users(10);
        var split = DataSplitter.ComiRec(ds, seed: 2);
        var expected = new long[11];
        for (var i = 0; i < split.TrainCount; i++)
        {
            foreach (var item in ds.Sequence(split.TrainUser(i))) expected[item]++;
        }

        split.TrainItemFrequencies().Should().Equal(expected);
        split.TrainItemFrequencies().Sum().Should().BeLessThan(ds.InteractionCount);
    }

    [Fact]
    public void LeaveOneOut_MatchesHandComputedSplit()
    {
        // u0 = 1 2 3 4 5, u1 = 6 7, u2 = 8 9 10; L = 2.
        // u0: train 1 2 3; valid history = the ≤ 2 items before 4 = 2 3, target 4; test history = 3 4, target 5.
        // u1: fewer than 3 items -> trains on 6 7 and is not evaluated.
        // u2: train 8; valid history 8, target 9; test history 8 9, target 10.
        var ds = Identity(10, [1, 2, 3, 4, 5], [6, 7], [8, 9, 10]);

        var split = DataSplitter.LeaveOneOut(ds, maxLength: 2);

        split.Protocol.Should().Be(SplitProtocol.LeaveOneOut);
        split.TrainCount.Should().Be(3);
        split.TrainSequence(0).ToArray().Should().Equal(1, 2, 3);
        split.TrainSequence(1).ToArray().Should().Equal(6, 7);
        split.TrainSequence(2).ToArray().Should().Equal(8);
        EvalUsers(split.Valid).Should().Equal(0, 2);
        EvalUsers(split.Test).Should().Equal(0, 2);
        split.Valid.History(0).ToArray().Should().Equal(2, 3);
        split.Valid.Targets(0).ToArray().Should().Equal(4);
        split.Test.History(0).ToArray().Should().Equal(3, 4);
        split.Test.Targets(0).ToArray().Should().Equal(5);
        split.Valid.History(1).ToArray().Should().Equal(8);
        split.Valid.Targets(1).ToArray().Should().Equal(9);
        split.Test.History(1).ToArray().Should().Equal(8, 9);
        split.Test.Targets(1).ToArray().Should().Equal(10);
    }

    [Fact]
    public void LeaveOneOut_KeepsHistoriesUntruncated_WhenShorterThanL()
    {
        var ds = Identity(5, [1, 2, 3, 4, 5]);

        var split = DataSplitter.Split(ds, SplitProtocol.LeaveOneOut, seed: 0);

        split.Valid.History(0).ToArray().Should().Equal(1, 2, 3);
        split.Test.History(0).ToArray().Should().Equal(1, 2, 3, 4);
    }

    [Fact]
    public void EvaluationSetBatch_HoldsTheHistories()
    {
        var ds = Identity(10, [1, 2, 3, 4, 5], [6, 7], [8, 9, 10]);
        var split = DataSplitter.LeaveOneOut(ds, maxLength: 2);

        var batch = split.Test.Batch(1, 1);

        batch.Count.Should().Be(1);
        batch[0].ToArray().Should().Equal(8, 9);
        batch.MaxLength.Should().Be(2);
        ((Action)(() => split.Test.Batch(1, 2))).Should().Throw<ArgumentOutOfRangeException>();
    }
}
