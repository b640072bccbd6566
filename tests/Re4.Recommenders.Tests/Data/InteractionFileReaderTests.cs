using System.Text;
using Re4.Recommenders.Data;
using Re4.Recommenders.Data.Formats;
using static Re4.Recommenders.Tests.Data.DataTestHelpers;

namespace Re4.Recommenders.Tests.Data;

public sealed class InteractionFileReaderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static LoadOptions As(string format, bool lenient = false) => new() { Reader = InteractionReaderRegistry.BuiltIn.Get(format), Lenient = lenient };

    private static DataFormatException LoadFails(string path, LoadOptions? options = null)
    {
        var act = () => InteractionFileReader.Load(path, options);
        return act.Should().Throw<DataFormatException>().Which;
    }

    // ---------------------------------------------------------------- SequencePerLine

    [Fact]
    public void SequencePerLineReader_ReadsItemsInOrder_AndAcceptsASingleItemUser()
    {
        // User 10: items 5 7 5; user 20: item 7 (one item is fine). Dense ids by first appearance: 5 -> 1, 7 -> 2.
        var path = _dir.File("seq.txt", "10 5 7 5\n20 7\n");

        var ds = InteractionFileReader.Load(path, As("sequence"), out var report);

        ds.UserCount.Should().Be(2);
        ds.ItemCount.Should().Be(2);
        ds.InteractionCount.Should().Be(4);
        ds.Sequence(0).ToArray().Should().Equal(1, 2, 1);
        ds.Sequence(1).ToArray().Should().Equal(2);
        UserIds(ds).Should().Equal(10L, 20L);
        ds.OriginalItemId(1).Should().Be(5);
        ds.OriginalItemId(2).Should().Be(7);
        ds.Name.Should().Be("seq");
        report.Should().Be(new LoadReport("sequence", 2, 4, 0, 0, false));
    }

    [Fact]
    public void SequencePerLineReader_AcceptsTabsAndRepeatedSpacesBetweenFields()
    {
        var path = _dir.File("seq.txt", "1\t3  4 \t5\n");

        var ds = InteractionFileReader.Load(path, As("sequence"));

        Originals(ds, 0).Should().Equal(3L, 4L, 5L);
    }

    [Fact]
    public void SequencePerLineReader_RejectsNonNumericItem_NamingLineFileAndToken()
    {
        // Line 2 holds "x5" with a control character where an item id belongs.
        var path = _dir.File("seq.txt", "1 2 3\n2 4 x5\u0001 6\n");

        var e = LoadFails(path, As("sequence"));

        e.Line.Should().Be(2);
        e.FilePath.Should().Be(path);
        e.Message.Should().Contain("x5").And.Contain("item ids").And.Contain("control character").And.Contain($"{path}:2");
    }

    [Fact]
    public void SequencePerLineReader_RejectsAUserIdWithAControlCharacter()
    {
        var path = _dir.File("seq.txt", "u\u00011 2 3\n");

        var e = LoadFails(path, As("sequence"));

        e.Line.Should().Be(1);
        e.FilePath.Should().Be(path);
        e.Message.Should().Contain("2 3").And.Contain("user id").And.Contain("control character");
    }

    [Fact]
    public void SequencePerLineReader_RejectsUserWithoutItems()
    {
        var path = _dir.File("seq.txt", "1 2\n3\n");

        var e = LoadFails(path, As("sequence"));

        e.Line.Should().Be(2);
        e.Message.Should().Contain("\"3\"").And.Contain("at least one item");
    }

    [Fact]
    public void SequencePerLineReader_RejectsRepeatedUserNamingItsFirstLine_InStrictMode()
    {
        // User 1 appears on lines 1 and 3.
        var path = _dir.File("seq.txt", "1 2 3\n2 4\n1 5\n");

        var e = LoadFails(path, As("sequence"));

        e.Line.Should().Be(3);
        e.Text.Should().Be("1 5");
        e.Message.Should().Contain("user 1 already appeared on line 1");
    }

    [Fact]
    public void SequencePerLineReader_SkipsAndCountsBadLines_InLenientMode()
    {
        // Line 2 has a bad item (a control character), line 4 repeats user 1: both skipped; users 1 and 3 remain.
        var path = _dir.File("seq.txt", "1 2 3\n2 4 x\u0001\n3 4\n1 5\n");

        var ds = InteractionFileReader.Load(path, As("sequence", lenient: true), out var report);

        UserIds(ds).Should().Equal(1L, 3L);
        Originals(ds, 0).Should().Equal(2L, 3L);
        Originals(ds, 1).Should().Equal(4L);
        ds.ItemCount.Should().Be(3, "item 5 was only on a skipped line; items 2, 3, 4 remain");
        report.SkippedMalformed.Should().Be(2);
        report.Lines.Should().Be(4);
        report.Interactions.Should().Be(3);
    }

    [Fact]
    public void SequencePerLineReader_KeepsNoItemFromASkippedLine_InLenientMode()
    {
        // Line 2 is skipped at the control character; its item 9 must not become a catalogue item with no interaction.
        var path = _dir.File("seq.txt", "1 2\n2 9 x\u0001\n");

        var ds = InteractionFileReader.Load(path, As("sequence", lenient: true));

        ds.ItemCount.Should().Be(1);
        ds.TryGetItem(9, out _).Should().BeFalse();
        ds.ItemFrequencies().Skip(1).Should().OnlyContain(c => c > 0);
    }

    [Fact]
    public void Load_CountsBlankLinesInLineNumbers()
    {
        var path = _dir.File("seq.txt", "1 2\n\n2 x\u0001\n");

        LoadFails(path, As("sequence")).Line.Should().Be(3);
    }

    [Fact]
    public void SequencePerLineReader_ReadsCrlfEndingsAndAUtf8Bom()
    {
        // With the BOM not stripped the first user id would not parse; with the \r kept the last item would not.
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes("7 8 9\r\n6 9\r\n")).ToArray();
        var path = _dir.FileBytes("seq.txt", bytes);

        var ds = InteractionFileReader.Load(path, As("sequence"));

        UserIds(ds).Should().Equal(7L, 6L);
        Originals(ds, 0).Should().Equal(8L, 9L);
        Originals(ds, 1).Should().Equal(9L);
    }

    [Theory]
    [InlineData("sequence")]
    [InlineData("comirec-csv")]
    [InlineData("movielens-tsv")]
    [InlineData("movielens-dat")]
    [InlineData("taobao")]
    public void Load_RejectsAnEmptyFile_InEveryFormat(string format)
    {
        var path = _dir.File("empty.txt", "\n\n");

        var e = LoadFails(path, As(format));

        e.Line.Should().Be(0);
        e.FilePath.Should().Be(path);
        e.Message.Should().Contain("no interactions");
    }

    [Fact]
    public void Load_RejectsAnEmptyFile_WithAutoDetection()
    {
        var path = _dir.File("empty.txt", string.Empty);

        var e = LoadFails(path);

        e.Line.Should().Be(0);
        e.Message.Should().Contain("empty");
    }

    [Fact]
    public void Load_ThrowsFileNotFoundException_ForAMissingFile()
    {
        var act = () => InteractionFileReader.Load(Path.Combine(_dir.Path, "nope.txt"));

        act.Should().Throw<FileNotFoundException>();
    }

    // ---------------------------------------------------------------- ComiRec CSV

    [Fact]
    public void ComiRecCsvReader_SkipsTheHeader_AndSortsEachUserStablyByTime()
    {
        // User 1: (100,30) (101,10) (102,30) (103,20) -> by time 101(10), 103(20), then the tie at 30 in file order: 100, 102.
        // User 2: 200 alone. Users in first appearance: 1, 2.
        var path = _dir.File("data.csv", "user_id,item_id,timestamp\n1,100,30\n2,200,5\n1,101,10\n1,102,30\n1,103,20\n");

        var ds = InteractionFileReader.Load(path, As("comirec-csv"), out var report);

        UserIds(ds).Should().Equal(1L, 2L);
        Originals(ds, 0).Should().Equal(101L, 103L, 100L, 102L);
        Originals(ds, 1).Should().Equal(200L);
        ds.ItemCount.Should().Be(5);
        report.Should().Be(new LoadReport("comirec-csv", 5, 5, 0, 0, true));
    }

    [Fact]
    public void Load_KeepsFileOrderForTimestampTies_EvenWhenTheUserNeedsSorting()
    {
        // Times 7, 7, 7, 1: item 2 (time 1) first, then 5, 3, 4 in file order.
        var path = _dir.File("data.csv", "1,5,7\n1,3,7\n1,4,7\n1,2,1\n");

        var ds = InteractionFileReader.Load(path, As("comirec-csv"));

        Originals(ds, 0).Should().Equal(2L, 5L, 3L, 4L);
    }

    [Fact]
    public void Load_KeepsExactDuplicateRowsAsRepeatedInteractions()
    {
        var path = _dir.File("data.csv", "1,5,10\n1,5,10\n1,6,20\n");

        var ds = InteractionFileReader.Load(path, As("comirec-csv"));

        ds.InteractionCount.Should().Be(3);
        ds.ItemCount.Should().Be(2);
        Originals(ds, 0).Should().Equal(5L, 5L, 6L);
    }

    [Fact]
    public void ComiRecCsvReader_ReadsAndDetectsAFile_WithBomCrlfAndHeader()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes("user_id,item_id,timestamp\r\n3,9,2\r\n3,8,1\r\n")).ToArray();
        var path = _dir.FileBytes("data.csv", bytes);

        InteractionFileReader.DetectFormat(path).Name.Should().Be("comirec-csv");
        var ds = InteractionFileReader.Load(path, null, out var report);

        report.Format.Should().Be("comirec-csv");
        report.HeaderSkipped.Should().BeTrue();
        Originals(ds, 0).Should().Equal(8L, 9L);
    }

    [Theory]
    [InlineData("1,2,3\n1,2\n", "\"1,2\"", "found 2")]
    [InlineData("1,2,3\n1,2,3,4\n", "\"1,2,3,4\"", "found more")]
    public void ComiRecCsvReader_RejectsAWrongColumnCount(string contents, string shown, string found)
    {
        var path = _dir.File("data.csv", contents);

        var e = LoadFails(path, As("comirec-csv"));

        e.Line.Should().Be(2);
        e.FilePath.Should().Be(path);
        e.Message.Should().Contain(shown).And.Contain("expected 3 fields 'user_id,item_id,timestamp'").And.Contain(found);
    }

    [Fact]
    public void ComiRecCsvReader_RejectsNonNumericTimestamp()
    {
        var path = _dir.File("data.csv", "1,2,3\n1,3,abc\n");

        var e = LoadFails(path, As("comirec-csv"));

        e.Line.Should().Be(2);
        e.Text.Should().Be("1,3,abc");
        e.Message.Should().Contain("\"1,3,abc\"").And.Contain("integer timestamp in field 3");
    }

    [Fact]
    public void ComiRecCsvReader_RejectsAnEmptyItemId()
    {
        var path = _dir.File("data.csv", "1,2,3\n1,,4\n");

        var e = LoadFails(path, As("comirec-csv"));

        e.Line.Should().Be(2);
        e.Message.Should().Contain("\"1,,4\"").And.Contain("item id").And.Contain("empty");
    }

    [Fact]
    public void ComiRecCsvReader_RejectsAHeaderLikeLine_AfterTheFirst()
    {
        var path = _dir.File("data.csv", "1,2,3\nuser,item,time\n");

        var e = LoadFails(path, As("comirec-csv"));

        e.Line.Should().Be(2);
        e.Message.Should().Contain("\"user,item,time\"").And.Contain("timestamp in field 3");
    }

    [Fact]
    public void Load_SortsMillisecondTimestampsBeyondIntRange_WhenTheyAppearMidFile()
    {
        // Rows 1-2 fit 32 bits (seconds); row 3 does not (milliseconds), so the column widens mid-file.
        // User 1: items 10 (t=5), 11 (t=3_000_000_000_000), 12 (t=7) → time order 10, 12, 11.
        var path = _dir.File("ms.csv", "1,10,5\n1,11,3000000000000\n1,12,7\n2,13,-4\n2,10,-9\n");

        var data = InteractionFileReader.Load(path, As("comirec-csv"));

        // Dense ids by first appearance: 10→1, 11→2, 12→3, 13→4.
        data.Sequence(0).ToArray().Should().Equal(1, 3, 2);
        // User 2: 10 (t=−9) before 13 (t=−4).
        data.Sequence(1).ToArray().Should().Equal(1, 4);
    }

    [Fact]
    public void ComiRecCsvReader_TreatsAFirstLineWithANumericFieldAsDataNotAHeader()
    {
        // "abc,5,100" has numbers in it: data with a text user id, not a header, so it must not be skipped silently.
        var path = _dir.File("data.csv", "abc,5,100\n1,2,3\n");

        var ds = InteractionFileReader.Load(path, As("comirec-csv"), out var report);

        report.HeaderSkipped.Should().BeFalse();
        ds.UserIds[0].Should().Be("abc");
        ds.InteractionCount.Should().Be(2);
    }

    [Fact]
    public void ComiRecCsvReader_SkipsTheHeader_AfterBlankLines()
    {
        var path = _dir.File("data.csv", "\n\nuser_id,item_id,timestamp\n1,2,3\n1,4,2\n");

        var data = InteractionFileReader.Load(path, As("comirec-csv"), out var report);

        report.HeaderSkipped.Should().BeTrue();
        data.InteractionCount.Should().Be(2);
        // Sorted by time: item 4 (t=2) before item 2 (t=3); dense ids follow first appearance in the file (2 → 1, 4 → 2).
        data.Sequence(0).ToArray().Should().Equal(2, 1);
    }

    [Fact]
    public void Load_ReportsOnlyAHeaderLine_ForAHeaderOnlyFile()
    {
        var path = _dir.File("data.csv", "user_id,item_id,timestamp\n");

        var e = LoadFails(path, As("comirec-csv"));

        e.Message.Should().Contain("only a header line");
    }

    [Fact]
    public void Load_ReadsANegativeIdAsANumber()
    {
        // "-1" is the decimal form of a 64-bit integer, so it is a numeric id (not text).
        var path = _dir.File("data.csv", "-1,2,3\n");

        var ds = InteractionFileReader.Load(path, As("comirec-csv"));

        ds.UserIds.IsNumeric.Should().BeTrue();
        ds.OriginalUserId(0).Should().Be(-1);
    }

    [Fact]
    public void Load_ReportsNoInteractions_ForAHeaderOnlyFile()
    {
        var path = _dir.File("data.csv", "user_id,item_id,timestamp\n");

        var e = LoadFails(path, As("comirec-csv"));

        e.Line.Should().Be(0);
        e.Message.Should().Contain("no interactions");
    }

    [Fact]
    public void ComiRecCsvReader_SkipsAndCountsBadLines_InLenientMode()
    {
        // Lines 2 (one field) and 3 (bad timestamp) are skipped; lines 1 and 4 give users 1 and 2.
        var path = _dir.File("data.csv", "1,2,3\nbad\n1,3,x\n2,4,5\n");

        var ds = InteractionFileReader.Load(path, As("comirec-csv", lenient: true), out var report);

        report.SkippedMalformed.Should().Be(2);
        report.Lines.Should().Be(4);
        report.Interactions.Should().Be(2);
        UserIds(ds).Should().Equal(1L, 2L);
        Originals(ds, 0).Should().Equal(2L);
        Originals(ds, 1).Should().Equal(4L);
    }

    [Fact]
    public void Load_StillFails_InLenientModeWithNothingValid()
    {
        var path = _dir.File("data.csv", "a,b\nc,d\n");

        var e = LoadFails(path, As("comirec-csv", lenient: true));

        e.Line.Should().Be(0);
    }

    // ---------------------------------------------------------------- MovieLens

    [Fact]
    public void MovieLensTsvReader_ReadsAndSortsByTheFourthField()
    {
        // User 1: item 10 at 300, item 11 at 100 -> 11, 10. User 2: item 10.
        var path = _dir.File("u.data", "1\t10\t5\t300\n1\t11\t3\t100\n2\t10\t4\t200\n");

        var ds = InteractionFileReader.Load(path, As("movielens-tsv"), out var report);

        report.Format.Should().Be("movielens-tsv");
        UserIds(ds).Should().Equal(1L, 2L);
        Originals(ds, 0).Should().Equal(11L, 10L);
        Originals(ds, 1).Should().Equal(10L);
        ds.ItemCount.Should().Be(2);
    }

    [Fact]
    public void MovieLensTsvReader_RejectsAWrongColumnCount()
    {
        var path = _dir.File("u.data", "1\t10\t5\t300\n1\t10\t5\n");

        var e = LoadFails(path, As("movielens-tsv"));

        e.Line.Should().Be(2);
        e.Message.Should().Contain("expected 4 fields 'user<TAB>item<TAB>rating<TAB>timestamp'").And.Contain("found 3");
    }

    [Fact]
    public void MovieLensTsvReader_RejectsNonNumericRatingAndTimestamp()
    {
        var rating = _dir.File("r.data", "1\t10\tx\t300\n");
        var time = _dir.File("t.data", "1\t10\t5\t30a\n");

        var e1 = LoadFails(rating, As("movielens-tsv"));
        var e2 = LoadFails(time, As("movielens-tsv"));

        e1.Line.Should().Be(1);
        e1.Message.Should().Contain("numeric rating in field 3");
        e2.Line.Should().Be(1);
        e2.Message.Should().Contain("30a").And.Contain("integer timestamp in field 4");
    }

    [Fact]
    public void MovieLensDatReader_ReadsFractionalRatings_AndSortsByTime()
    {
        var path = _dir.File("ratings.dat", "1::10::5::300\n1::11::3.5::100\n");

        var ds = InteractionFileReader.Load(path, As("movielens-dat"));

        Originals(ds, 0).Should().Equal(11L, 10L);
    }

    [Theory]
    [InlineData("1::10::5\n", "found 3")]
    [InlineData("1:10:5:300\n", "found 1")]
    public void MovieLensDatReader_RejectsAWrongColumnCount(string contents, string found)
    {
        var path = _dir.File("ratings.dat", contents);

        var e = LoadFails(path, As("movielens-dat"));

        e.Line.Should().Be(1);
        e.Message.Should().Contain("expected 4 fields 'user::item::rating::timestamp'").And.Contain(found);
    }

    [Fact]
    public void MovieLensDatReader_RejectsNonNumericUser()
    {
        var path = _dir.File("ratings.dat", "1::10::5::300\nab1::10::5::300\n");

        var e = LoadFails(path, As("movielens-dat"));

        e.Line.Should().Be(2);
        e.Message.Should().Contain("ab1").And.Contain("user id in field 1");
    }

    // ---------------------------------------------------------------- Taobao

    private const string Taobao = "1,100,7,pv,50\n1,101,7,buy,40\n1,102,8,pv,30\n2,100,7,cart,10\n2,103,9,pv,20\n";

    [Fact]
    public void TaobaoCsvReader_KeepsPageViewsByDefault()
    {
        // pv rows: user 1 (100 at 50, 102 at 30) -> 102, 100; user 2: 103. The buy and cart rows are skipped.
        var path = _dir.File("UserBehavior.csv", Taobao);

        var ds = InteractionFileReader.Load(path, As("taobao"), out var report);

        UserIds(ds).Should().Equal(1L, 2L);
        Originals(ds, 0).Should().Equal(102L, 100L);
        Originals(ds, 1).Should().Equal(103L);
        ds.ItemCount.Should().Be(3, "item 101 only occurs in a skipped buy row");
        report.SkippedByReader.Should().Be(2);
        report.Lines.Should().Be(5);
        report.Interactions.Should().Be(3);
    }

    [Fact]
    public void TaobaoCsvReader_KeepsTheBehavioursAskedFor()
    {
        // pv and buy: user 1 has 102 (30), 101 (40), 100 (50); only the cart row is skipped.
        var path = _dir.File("UserBehavior.csv", Taobao);

        var ds = InteractionFileReader.Load(path, new LoadOptions { Reader = new TaobaoCsvReader(["pv", "buy"]) }, out var report);

        Originals(ds, 0).Should().Equal(102L, 101L, 100L);
        report.SkippedByReader.Should().Be(1);
    }

    [Fact]
    public void TaobaoCsvReader_RejectsAnUnknownBehaviour()
    {
        var path = _dir.File("UserBehavior.csv", "1,100,7,pv,50\n1,100,7,click,60\n");

        var e = LoadFails(path, As("taobao"));

        e.Line.Should().Be(2);
        e.Message.Should().Contain("\"1,100,7,click,60\"").And.Contain("pv, buy, cart or fav");
    }

    [Fact]
    public void TaobaoCsvReader_RejectsNonNumericCategory()
    {
        var path = _dir.File("UserBehavior.csv", "1,100,c7,pv,50\n");

        var e = LoadFails(path, As("taobao"));

        e.Line.Should().Be(1);
        e.Message.Should().Contain("category id in field 3");
    }

    [Fact]
    public void TaobaoCsvReader_ReportsNoKeptBehaviour_WhenNoRowHasOne()
    {
        var path = _dir.File("UserBehavior.csv", "1,100,7,buy,50\n");

        var e = LoadFails(path, As("taobao"));

        e.Line.Should().Be(0);
        e.Message.Should().Contain("behavior pv");
    }

    [Fact]
    public void TaobaoCsvReader_SkipsAHeader()
    {
        var path = _dir.File("UserBehavior.csv", "user,item,category,behavior,timestamp\n5,6,7,pv,8\n");

        var ds = InteractionFileReader.Load(path, null, out var report);

        report.Format.Should().Be("taobao");
        report.HeaderSkipped.Should().BeTrue();
        Originals(ds, 0).Should().Equal(6L);
    }

    // ---------------------------------------------------------------- Streams

    [Fact]
    public void Load_ReadsAStreamLikeAFile_WhenEachReadReturnsOneByte()
    {
        // Stream.Read may return fewer bytes than asked; the BOM and lines must still be recognised.
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes("4 1 2\r\n5 2\n")).ToArray();
        using var stream = new TrickleStream(bytes);

        var ds = InteractionFileReader.Load(stream, "trickle", As("sequence"), out _);

        UserIds(ds).Should().Equal(4L, 5L);
        Originals(ds, 0).Should().Equal(1L, 2L);
    }

    [Fact]
    public void Load_ThrowsForAStreamWithoutAnExplicitFormat()
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes("1 2\n"));

        var act = () => InteractionFileReader.Load(stream, "s", new LoadOptions(), out _);

        act.Should().Throw<ArgumentException>().WithParameterName("options");
    }

    [Fact]
    public void ByteLineReader_ReadsWholeLines_LongerThanTheBuffer()
    {
        // A 4-byte buffer must grow to hold the 8-byte first line.
        using var reader = new ByteLineReader(new MemoryStream(Encoding.ASCII.GetBytes("12345678\nab\n")), 4);

        reader.TryReadLine(out var first).Should().BeTrue();
        Encoding.ASCII.GetString(first).Should().Be("12345678");
        reader.TryReadLine(out var second).Should().BeTrue();
        Encoding.ASCII.GetString(second).Should().Be("ab");
        reader.LineNumber.Should().Be(2);
        reader.TryReadLine(out _).Should().BeFalse();
    }

    [Fact]
    public void Load_GroupsAndSortsLikeAStableLinqSort_BeyondOneStorageChunk()
    {
        // 1,100,000 rows cross the loader's 2^20-row column chunks (released while grouping). Expected result from an
        // independent computation: group rows by user in order of first appearance, then a stable OrderBy on time.
        const int rows = 1_100_000;
        var users = new int[rows];
        var items = new int[rows];
        var times = new long[rows];
        var text = new StringBuilder(rows * 16);
        for (var r = 0; r < rows; r++)
        {
            users[r] = (int)((r * 7L) % 997);
            items[r] = r % 5003;
            times[r] = (r * 7919L) % 1000;   // many ties
            text.Append(users[r]).Append(',').Append(items[r]).Append(',').Append(times[r]).Append('\n');
        }

        using var stream = new MemoryStream(Encoding.ASCII.GetBytes(text.ToString()));
        var ds = InteractionFileReader.Load(stream, "big", As("comirec-csv"), out var report);

        report.Interactions.Should().Be(rows);
        var expected = Enumerable.Range(0, rows).GroupBy(r => users[r])
            .Select(g => (User: (long)g.Key, Items: g.OrderBy(r => times[r]).Select(r => (long)items[r]).ToArray())).ToArray();
        ds.UserCount.Should().Be(expected.Length);
        for (var u = 0; u < expected.Length; u++)
        {
            ds.OriginalUserId(u).Should().Be(expected[u].User);
            Originals(ds, u).Should().Equal(expected[u].Items);
        }
    }

    // ---------------------------------------------------------------- Detection

    [Theory]
    [InlineData("1 2 3\n2 3\n", "sequence")]
    [InlineData("1 2\n", "sequence")]
    [InlineData("1,2,3\n2,3,4\n", "comirec-csv")]
    [InlineData("user_id,item_id,timestamp\n1,2,3\n", "comirec-csv")]
    [InlineData("1\t2\t5\t881250949\n", "movielens-tsv")]
    [InlineData("1::2::5::978300760\n", "movielens-dat")]
    [InlineData("1,2,3,pv,1511544070\n", "taobao")]
    public void DetectFormat_RecognisesEachFormat(string contents, string expected)
    {
        var path = _dir.File("detect.txt", contents);

        InteractionFileReader.DetectFormat(path).Name.Should().Be(expected);
    }

    [Fact]
    public void DetectFormat_RejectsAFileWhoseLinesDisagree()
    {
        var path = _dir.File("mixed.txt", "1,2,3\n1 2 3\n");

        var e = ((Action)(() => InteractionFileReader.DetectFormat(path))).Should().Throw<DataFormatException>().Which;

        e.Line.Should().Be(2);
        e.FilePath.Should().Be(path);
        e.Message.Should().Contain("like comirec-csv").And.Contain("like sequence").And.Contain("\"1 2 3\"");
    }

    [Fact]
    public void DetectFormat_RejectsAnUnknownCommaLayout()
    {
        var path = _dir.File("four.csv", "1,2,3,4\n");

        var e = ((Action)(() => InteractionFileReader.DetectFormat(path))).Should().Throw<DataFormatException>().Which;

        e.Line.Should().Be(1);
        e.Message.Should().Contain("\"1,2,3,4\"").And.Contain("3 comma-separated fields");
    }

    [Fact]
    public void Load_AutoDetectsTheFormatByDefault()
    {
        var path = _dir.File("ratings.dat", "2::10::5::300\n2::11::3::100\n");

        var ds = InteractionFileReader.Load(path, null, out var report);

        report.Format.Should().Be("movielens-dat");
        Originals(ds, 0).Should().Equal(11L, 10L);
    }

    /// <summary>Returns at most one byte per Read call.</summary>
    private sealed class TrickleStream(byte[] data) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position == data.Length || count == 0) return 0;
            buffer[offset] = data[_position++];
            return 1;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
