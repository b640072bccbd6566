using Re4.Recommenders.Data;
using Re4.Recommenders.Data.Formats;
using static Re4.Recommenders.Tests.Data.DataTestHelpers;

namespace Re4.Recommenders.Tests.Data;

public sealed class DatasetPreparationTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private SequenceDataset Sequences(string contents) =>
        InteractionFileReader.Load(_dir.File("seq.txt", contents), new LoadOptions { Reader = new SequencePerLineReader() });

    [Fact]
    public void Prepare_KeepsAllAndRenumbersByDecreasingFrequencyThenFirstAppearance_ForFilterNone()
    {
        // Counts: 50 x2, 60 x2, 70 x3, 80 x1; first appearance 50, 60, 70, 80.
        // New ids: 70 -> 1 (3), 50 -> 2 (2, first), 60 -> 3 (2, second), 80 -> 4 (1).
        var ds = Sequences("1 50 60 60\n2 70 50 70 70\n3 80\n");

        var p = DatasetPreparation.Prepare(ds, DatasetFilter.None);

        p.UserCount.Should().Be(3);
        p.ItemCount.Should().Be(4);
        p.InteractionCount.Should().Be(8);  // 3 + 4 + 1
        p.Sequence(0).ToArray().Should().Equal(2, 3, 3);
        p.Sequence(1).ToArray().Should().Equal(1, 2, 1, 1);
        p.Sequence(2).ToArray().Should().Equal(4);
        Enumerable.Range(1, 4).Select(p.OriginalItemId).Should().Equal(70L, 50L, 60L, 80L);
        p.ItemFrequencies().Should().Equal(0L, 3L, 2L, 2L, 1L);
        UserIds(p).Should().Equal(1L, 2L, 3L);
        p.TryGetItem(60, out var item60).Should().BeTrue();
        item60.Should().Be(3);
        p.TryGetItem(999, out _).Should().BeFalse();
        p.TryGetUser(2, out var user2).Should().BeTrue();
        user2.Should().Be(1);
    }

    [Fact]
    public void OriginalItemId_ThrowsForPaddingAndOutOfRangeIds()
    {
        var p = DatasetPreparation.Prepare(Sequences("1 5 6\n"), DatasetFilter.None);

        ((Action)(() => p.OriginalItemId(0))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => p.OriginalItemId(3))).Should().Throw<ArgumentOutOfRangeException>();
    }

    // Users 1..4: P P P P P X (6 items each); user 9: X Y.
    // Counts: P (100) 20, X (200) 5, Y (300) 1.
    private const string OnePassDiffers = "1 100 100 100 100 100 200\n2 100 100 100 100 100 200\n3 100 100 100 100 100 200\n4 100 100 100 100 100 200\n9 200 300\n";

    [Fact]
    public void ComiRecFilter_MakesOnePass_ItemsThenUsers()
    {
        // Items >= 5: P (20) and X (5) stay, Y (1) goes. Users >= 5 remaining: users 1-4 (6 each) stay; user 9 (X only) goes.
        // One pass stops here although X now has 4 interactions. Renumbering: P (20) -> 1, X (4) -> 2.
        var p = DatasetPreparation.Prepare(Sequences(OnePassDiffers), DatasetFilter.ComiRec());

        UserIds(p).Should().Equal(1L, 2L, 3L, 4L);
        p.ItemCount.Should().Be(2);
        p.InteractionCount.Should().Be(24);
        p.OriginalItemId(1).Should().Be(100);
        p.OriginalItemId(2).Should().Be(200);
        p.Sequence(0).ToArray().Should().Equal(1, 1, 1, 1, 1, 2);
        p.ItemFrequencies()[2].Should().Be(4);
    }

    [Fact]
    public void KCoreFilter_IteratesToAFixedPoint()
    {
        // Round 1 as ComiRec's pass; round 2: X has 4 < 5 and goes; users 1-4 keep 5 P each; round 3 changes nothing.
        var p = DatasetPreparation.Prepare(Sequences(OnePassDiffers), DatasetFilter.KCore(5));

        UserIds(p).Should().Equal(1L, 2L, 3L, 4L);
        p.ItemCount.Should().Be(1);
        p.InteractionCount.Should().Be(20);
        p.OriginalItemId(1).Should().Be(100);
        p.TryGetItem(200, out _).Should().BeFalse();
    }

    [Fact]
    public void KCoreFilter_CascadesThroughSeveralRounds_WhereOnePassDoesNot()
    {
        // u1: a b, u2: b c, u3: c d, u4: a b (a=11, b=12, c=13, d=14); counts a 2, b 3, c 2, d 1.
        // kcore:2 -- round 1: drop d, then u3 (only c left). Round 2: c has 1 -> drop, then u2 (only b left).
        //            round 3: a 2, b 2 -> stable. Result u1, u4 = [a b]; tie a/b broken by first appearance: a -> 1, b -> 2.
        // comirec(2,2) -- drop d, drop u3, stop: u1, u2, u4 with counts b 3, a 2, c 1 -> b 1, a 2, c 3.
        const string text = "1 11 12\n2 12 13\n3 13 14\n4 11 12\n";

        var k = DatasetPreparation.Prepare(Sequences(text), DatasetFilter.KCore(2));
        var c = DatasetPreparation.Prepare(Sequences(text), DatasetFilter.ComiRec(2, 2));

        UserIds(k).Should().Equal(1L, 4L);
        k.Sequence(0).ToArray().Should().Equal(1, 2);
        k.Sequence(1).ToArray().Should().Equal(1, 2);
        k.OriginalItemId(1).Should().Be(11);

        UserIds(c).Should().Equal(1L, 2L, 4L);
        c.Sequence(0).ToArray().Should().Equal(2, 1);
        c.Sequence(1).ToArray().Should().Equal(1, 3);
        c.Sequence(2).ToArray().Should().Equal(2, 1);
        Enumerable.Range(1, 3).Select(c.OriginalItemId).Should().Equal(12L, 11L, 13L);
    }

    [Fact]
    public void Prepare_Throws_WhenTheFilterRemovesEverything()
    {
        var act = () => DatasetPreparation.Prepare(Sequences("1 2 3\n"), DatasetFilter.ComiRec());

        act.Should().Throw<InvalidOperationException>().WithMessage("*comirec*");
    }

    [Fact]
    public void Prepare_ChangesNothing_WhenRunTwice()
    {
        var once = DatasetPreparation.Prepare(Sequences("1 50 60 60\n2 70 50 70 70\n3 80\n"), DatasetFilter.None);

        var twice = DatasetPreparation.Prepare(once, DatasetFilter.None);

        for (var u = 0; u < once.UserCount; u++) twice.Sequence(u).ToArray().Should().Equal(once.Sequence(u).ToArray());
        Enumerable.Range(1, twice.ItemCount).Select(twice.OriginalItemId).Should().Equal(Enumerable.Range(1, once.ItemCount).Select(once.OriginalItemId));
    }

    [Theory]
    [InlineData("none", DatasetFilterKind.None, 0)]
    [InlineData("comirec", DatasetFilterKind.ComiRec, 5)]
    [InlineData("kcore:3", DatasetFilterKind.KCore, 3)]
    [InlineData(" KCore:3 ", DatasetFilterKind.KCore, 3)]
    public void Parse_ReadsTheCliValues(string text, DatasetFilterKind kind, int min)
    {
        var f = DatasetFilter.Parse(text);

        f.Kind.Should().Be(kind);
        f.MinItemInteractions.Should().Be(min);
        f.MinUserInteractions.Should().Be(min);
        DatasetFilter.Parse(f.ToString()).Should().Be(f);
    }

    [Theory]
    [InlineData("")]
    [InlineData("kcore")]
    [InlineData("kcore:")]
    [InlineData("kcore:0")]
    [InlineData("kcore:-1")]
    [InlineData("kcore:x")]
    [InlineData("5core")]
    public void Parse_ThrowsForAnythingElse_NamingTheText(string text)
    {
        var act = () => DatasetFilter.Parse(text);

        act.Should().Throw<FormatException>().WithMessage($"*'{text}'*none, comirec, comirec:I,U or kcore:N*");
    }

    [Fact]
    public void Parse_RoundTripsComiRecWithCustomMinimums()
    {
        var f = DatasetFilter.ComiRec(3, 4);

        f.ToString().Should().Be("comirec:3,4");
        DatasetFilter.Parse("comirec:3,4").Should().Be(f);
        ((Action)(() => DatasetFilter.Parse("comirec:3"))).Should().Throw<FormatException>();
        ((Action)(() => DatasetFilter.Parse("comirec:0,4"))).Should().Throw<FormatException>();
    }

    [Fact]
    public void KCoreAndComiRec_ThrowForNonPositiveThresholds()
    {
        ((Action)(() => DatasetFilter.KCore(0))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => DatasetFilter.ComiRec(0, 5))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => DatasetFilter.ComiRec(5, -1))).Should().Throw<ArgumentOutOfRangeException>();
    }
}
