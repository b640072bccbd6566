using Re4.Recommenders.Data;

namespace Re4.Recommenders.Tests.Data;

/// <summary>String ids (SKUs, ASINs) in every loader, mixed files, and the id map both ways. Expected values are read
/// off the tiny files by hand: dense ids follow first appearance.</summary>
public sealed class TextIdTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static LoadOptions As(string format, bool lenient = false) => new() { Reader = InteractionReaderRegistry.BuiltIn.Get(format), Lenient = lenient };

    private static string[] Items(SequenceDataset ds, int user) => ds.Sequence(user).ToArray().Select(i => ds.ItemIds[i]).ToArray();

    [Fact]
    public void SequencePerLineReader_ReadsTextUserAndItemIds()
    {
        var path = _dir.File("seq.txt", "A1 B00ABC B00XYZ B00ABC\nA2\tB00XYZ  9780131103627\n");

        var ds = InteractionFileReader.Load(path, As("sequence"));

        ds.UserIds.IsNumeric.Should().BeFalse();
        ds.ItemIds.IsNumeric.Should().BeFalse();
        ds.UserIds[0].Should().Be("A1");
        ds.UserIds[1].Should().Be("A2");
        Items(ds, 0).Should().Equal("B00ABC", "B00XYZ", "B00ABC");
        Items(ds, 1).Should().Equal("B00XYZ", "9780131103627");
        ds.ItemCount.Should().Be(3);
        ds.TryGetItem("B00XYZ", out var xyz).Should().BeTrue();
        xyz.Should().Be(2);
        ds.TryGetItem(9780131103627L, out var isbn).Should().BeTrue("a number finds its decimal text in a text map");
        isbn.Should().Be(3);
    }

    [Theory]
    [InlineData("comirec-csv", "u-7,sku-1,30\nu-7,sku-2,10\nu-8,sku-1,20\n")]
    [InlineData("taobao", "u-7,sku-1,5,pv,30\nu-7,sku-2,5,pv,10\nu-8,sku-1,5,pv,20\n")]
    public void InteractionLogReaders_ReadTextIds(string format, string contents)
    {
        var path = _dir.File("data.csv", contents);

        var ds = InteractionFileReader.Load(path, As(format));

        // u-7: sku-1 (t=30), sku-2 (t=10) → time order sku-2, sku-1; items numbered by first appearance: sku-1 = 1.
        ds.UserIds[0].Should().Be("u-7");
        Items(ds, 0).Should().Equal("sku-2", "sku-1");
        Items(ds, 1).Should().Equal("sku-1");
        ds.ItemIds[1].Should().Be("sku-1");
    }

    [Theory]
    [InlineData("movielens-tsv", "u1\t10\t4\t100\n")]
    [InlineData("movielens-dat", "1::m10::4::100\n")]
    public void MovieLensReaders_RejectTextIds_AsTheFormatDefinesIntegers(string format, string contents)
    {
        var path = _dir.File("ratings.txt", contents);

        var act = () => InteractionFileReader.Load(path, As(format));

        act.Should().Throw<DataFormatException>().Which.Message.Should().Contain("non-negative integer");
    }

    [Fact]
    public void Load_SwitchesAColumnToText_WhenATextIdFollowsNumbers()
    {
        // Items 10 and 20 come first (numeric), then B1: the item column becomes text and 10, 20 keep dense ids 1, 2.
        var path = _dir.File("data.csv", "1,10,1\n1,20,2\n2,B1,3\n2,10,4\n");

        var ds = InteractionFileReader.Load(path, As("comirec-csv"));

        ds.UserIds.IsNumeric.Should().BeTrue("the user column stayed numeric");
        ds.OriginalUserId(1).Should().Be(2);
        ds.ItemIds.IsNumeric.Should().BeFalse();
        Enumerable.Range(1, 3).Select(i => ds.ItemIds[i]).Should().Equal("10", "20", "B1");
        Items(ds, 1).Should().Equal("B1", "10");
        ds.TryGetItem(10, out var ten).Should().BeTrue();
        ten.Should().Be(1);
        FluentActions.Invoking(() => ds.OriginalItemId(1)).Should().Throw<InvalidOperationException>().WithMessage("*text*");
    }

    [Fact]
    public void Load_ReadsIdsBeyondALongOrWithLeadingZeros_AsText()
    {
        // 2^63 = 9223372036854775808 does not fit a long; "007" is not a number's canonical text, so it stays "007".
        var path = _dir.File("seq.txt", "1 9223372036854775808 007 7 9223372036854775807\n");

        var ds = InteractionFileReader.Load(path, As("sequence"));

        Items(ds, 0).Should().Equal("9223372036854775808", "007", "7", "9223372036854775807");
        ds.ItemCount.Should().Be(4, "\"007\" and \"7\" are different ids");
        ds.TryGetItem(long.MaxValue, out var max).Should().BeTrue();
        max.Should().Be(4);
    }

    [Fact]
    public void Load_KeepsNumericFilesNumeric()
    {
        var path = _dir.File("seq.txt", "10 5 7 5\n20 7\n");

        var ds = InteractionFileReader.Load(path, As("sequence"));

        ds.UserIds.IsNumeric.Should().BeTrue();
        ds.ItemIds.IsNumeric.Should().BeTrue();
        ds.OriginalItemId(2).Should().Be(7);
        ds.ItemIds[2].Should().Be("7");
    }

    [Fact]
    public void Load_RejectsAnEmptyTextIdField_NamingTheLine()
    {
        var path = _dir.File("data.csv", "a,b,1\na, ,2\n");

        var act = () => InteractionFileReader.Load(path, As("comirec-csv"));

        var e = act.Should().Throw<DataFormatException>().Which;
        e.Line.Should().Be(2);
        e.Message.Should().Contain("item id").And.Contain("empty");
    }

    [Fact]
    public void Prepare_KeepsTextIdsThroughFilteringAndRenumbering()
    {
        // sku-b 3 times, sku-a twice, sku-c once: renumbered by decreasing frequency.
        var path = _dir.File("seq.txt", "u1 sku-a sku-b\nu2 sku-b sku-c\nu3 sku-b sku-a\n");
        var ds = InteractionFileReader.Load(path, As("sequence"));

        var p = DatasetPreparation.Prepare(ds, DatasetFilter.None);

        Enumerable.Range(1, 3).Select(i => p.ItemIds[i]).Should().Equal("sku-b", "sku-a", "sku-c");
        Enumerable.Range(0, 3).Select(u => p.UserIds[u]).Should().Equal("u1", "u2", "u3");
    }

    [Fact]
    public void FromStrings_GivesANumericMap_WhenEveryIdIsANumber()
    {
        var map = IdMap.FromStrings(["5", "-3", "12"], firstIndex: 1);

        map.IsNumeric.Should().BeTrue();
        map.GetNumber(2).Should().Be(-3);
        map.TryGetIndex("12", out var twelve).Should().BeTrue();
        twelve.Should().Be(3);
        map.TryGetIndex("012", out _).Should().BeFalse();
    }

    [Fact]
    public void FromStrings_ThrowsForADuplicateOrEmptyId()
    {
        FluentActions.Invoking(() => IdMap.FromStrings(["a", "b", "a"])).Should().Throw<ArgumentException>().WithParameterName("ids").WithMessage("*'a' appears twice*");
        FluentActions.Invoking(() => IdMap.FromStrings(["a", ""])).Should().Throw<ArgumentException>().WithParameterName("ids").WithMessage("*empty*");
        FluentActions.Invoking(() => IdMap.FromNumbers([1, 1])).Should().Throw<ArgumentException>().WithParameterName("ids");
        FluentActions.Invoking(() => IdMap.FromNumbers([1], firstIndex: 2)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("firstIndex");
    }

    [Fact]
    public void Indexer_ThrowsOutsideTheDenseRange()
    {
        var map = IdMap.FromStrings(["a", "b"], firstIndex: 1);

        FluentActions.Invoking(() => map[0]).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*1..2*");
        FluentActions.Invoking(() => map[3]).Should().Throw<ArgumentOutOfRangeException>();
    }
}
