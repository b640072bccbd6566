using Re4.Recommenders.Data;
using Re4.Recommenders.Data.Formats;
using static Re4.Recommenders.Tests.Data.DataTestHelpers;

namespace Re4.Recommenders.Tests.Data;

/// <summary>The registry of formats, detection across readers, and the Taobao reader's options.</summary>
public sealed class InteractionReaderRegistryTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void BuiltIn_NamesTheCliFormatsInTheCliOrder()
    {
        InteractionReaderRegistry.BuiltIn.Names.Should().Equal("sequence", "comirec-csv", "movielens-tsv", "movielens-dat", "taobao");
        InteractionReaderRegistry.BuiltIn.Get("TAOBAO").Should().BeOfType<TaobaoCsvReader>();
    }

    [Fact]
    public void Get_ThrowsForAnUnknownName_ListingTheKnownOnes()
    {
        var act = () => InteractionReaderRegistry.BuiltIn.Get("parquet");

        act.Should().Throw<ArgumentException>().WithParameterName("name")
            .WithMessage("*'parquet'*sequence|comirec-csv|movielens-tsv|movielens-dat|taobao*");
    }

    [Fact]
    public void Constructor_ThrowsForTwoReadersOfOneName_AndForNone()
    {
        FluentActions.Invoking(() => new InteractionReaderRegistry([new ComiRecCsvReader(), new ComiRecCsvReader()]))
            .Should().Throw<ArgumentException>().WithParameterName("readers").WithMessage("*'comirec-csv'*");
        FluentActions.Invoking(() => new InteractionReaderRegistry([]))
            .Should().Throw<ArgumentException>().WithParameterName("readers");
    }

    [Fact]
    public void With_ReplacesASameNamedReaderInPlace_AndAppendsANewOne()
    {
        var buy = new TaobaoCsvReader(["buy"]);
        var fake = new FixedReader("fake", FormatMatch.None);

        var registry = InteractionReaderRegistry.BuiltIn.With(buy).With(fake);

        registry.Names.Should().Equal("sequence", "comirec-csv", "movielens-tsv", "movielens-dat", "taobao", "fake");
        registry.Get("taobao").Should().BeSameAs(buy);
        InteractionReaderRegistry.BuiltIn.Get("taobao").Should().NotBeSameAs(buy, "registries are immutable");
    }

    [Fact]
    public void With_KeepsAReplacedTaobaoReadersBehaviours_UnderAutoDetection()
    {
        // pv and buy kept: user 1 has 102 (30), 101 (40), 100 (50); the cart row is skipped.
        var path = _dir.File("UserBehavior.csv", "1,100,7,pv,50\n1,101,7,buy,40\n1,102,8,pv,30\n2,100,7,cart,10\n");

        var ds = InteractionFileReader.Load(path, new LoadOptions { Readers = InteractionReaderRegistry.BuiltIn.With(new TaobaoCsvReader(["pv", "buy"])) }, out var report);

        report.Format.Should().Be("taobao");
        Originals(ds, 0).Should().Equal(102L, 101L, 100L);
        report.SkippedByReader.Should().Be(1);
    }

    [Fact]
    public void TaobaoCsvReader_ThrowsForNoBehaviour_AndForAnUnknownOne()
    {
        FluentActions.Invoking(() => new TaobaoCsvReader([])).Should().Throw<ArgumentException>().WithParameterName("behaviors");
        FluentActions.Invoking(() => new TaobaoCsvReader(["pv", "click"])).Should().Throw<ArgumentException>()
            .WithParameterName("behaviors").WithMessage("*'click'*");
        new TaobaoCsvReader().Behaviors.Should().Equal("pv");
    }

    [Theory]
    // A "::" line is MovieLens .dat even with commas; a comma line is never tab-separated or a sequence, even with
    // three tabs: the decision order detection has always had.
    [InlineData("1::2,3,4::5::6\n", "movielens-dat")]
    [InlineData("1,2\t3\t4\t5,6\n", "comirec-csv")]
    [InlineData("1\t2\t3\n", "sequence")]
    [InlineData("1:2 3\n", "sequence")]
    public void DetectFormat_KeepsTheBuiltInDecisionOrder(string contents, string expected)
    {
        var path = _dir.File("detect.txt", contents);

        InteractionFileReader.DetectFormat(path).Name.Should().Be(expected);
    }

    [Fact]
    public void DetectFormat_ListsTheNearMisses_ForACommaLineOfNoKnownWidth()
    {
        var path = _dir.File("four.csv", "1,2\t3\t4\t5,6,7\n");

        var e = FluentActions.Invoking(() => InteractionFileReader.DetectFormat(path)).Should().Throw<DataFormatException>().Which;

        e.Line.Should().Be(1);
        e.Expected.Should().Be("cannot detect the format: expected 3 comma-separated fields (user,item,timestamp) or 5 comma-separated fields (user,item,category,behavior,timestamp)");
    }

    [Fact]
    public void DetectFormat_PicksTheBestAnswer_AndTheFirstRegisteredOnATie()
    {
        var path = _dir.File("any.txt", "1 2\n");
        var first = new FixedReader("first", FormatMatch.Match);
        var second = new FixedReader("second", FormatMatch.Match);

        InteractionFileReader.DetectFormat(path, new InteractionReaderRegistry([new SequencePerLineReader(), first, second])).Should().BeSameAs(first);
        InteractionFileReader.DetectFormat(path, new InteractionReaderRegistry([second, first])).Should().BeSameAs(second);
        InteractionFileReader.DetectFormat(path, new InteractionReaderRegistry([new FixedReader("weak", FormatMatch.Fallback), new SequencePerLineReader()]))
            .Name.Should().Be("weak");
    }

    [Fact]
    public void DetectFormat_NamesTheKnownFormats_WhenNoReaderFitsALine()
    {
        var path = _dir.File("any.txt", "1 2\n");

        var e = FluentActions.Invoking(() => InteractionFileReader.DetectFormat(path, new InteractionReaderRegistry([new FixedReader("never", FormatMatch.None)])))
            .Should().Throw<DataFormatException>().Which;

        e.Message.Should().Contain("no format fits this line (known: never)");
    }

    [Fact]
    public void Load_SaysWhy_WhenASequenceReaderSkipsEveryLine()
    {
        var path = _dir.File("seq.txt", "1 2\n");
        using var stream = File.OpenRead(path);

        var act = () => InteractionFileReader.Load(stream, "s", new LoadOptions { Reader = new SkippingSequenceReader() }, out _);

        act.Should().Throw<DataFormatException>().Which.Expected.Should().Be("the file holds no interactions: every line was skipped");
    }

    [Fact]
    public void LineResultMalformed_ThrowsForAnEmptyExpectation()
    {
        FluentActions.Invoking(() => LineResult.Malformed("")).Should().Throw<ArgumentException>().WithParameterName("expected");
        LineResult.Kept.Status.Should().Be(LineStatus.Kept);
        LineResult.Skipped.Status.Should().Be(LineStatus.Skipped);
    }

    /// <summary>Answers the same to every line; parses nothing.</summary>
    private sealed class FixedReader(string name, FormatMatch answer) : InteractionLogReader
    {
        public override string Name => name;

        public override string Layout => "anything";

        public override FormatMatch Detect(ReadOnlySpan<byte> line) => answer;

        public override LineResult Parse(ReadOnlySpan<byte> line, out Interaction interaction)
        {
            interaction = default;
            return LineResult.Malformed("nothing");
        }
    }

    /// <summary>Reads the user, then skips the line on purpose.</summary>
    private sealed class SkippingSequenceReader : UserSequenceReader
    {
        public override string Name => "skipping";

        public override string Layout => "user item ...";

        public override FormatMatch Detect(ReadOnlySpan<byte> line) => FormatMatch.None;

        public override LineResult ParseUser(ReadOnlySpan<byte> line, out long user, out ReadOnlySpan<byte> items)
        {
            user = 1;
            items = line;
            return LineResult.Kept;
        }

        public override LineResult ParseItems(ReadOnlySpan<byte> items, List<long> itemIds) => LineResult.Skipped;
    }
}
