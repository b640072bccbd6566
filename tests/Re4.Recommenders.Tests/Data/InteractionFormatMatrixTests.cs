using System.Text;
using Re4.Recommenders.Data;
using static Re4.Recommenders.Tests.Data.DataTestHelpers;

namespace Re4.Recommenders.Tests.Data;

/// <summary>The same checks for each interaction format: a row is written as (user, item, timestamp) in the format's layout.</summary>
public sealed class InteractionFormatMatrixTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Row(string format, string user, string item, string time) => format switch
    {
        "comirec-csv" => $"{user},{item},{time}",
        "movielens-tsv" => $"{user}\t{item}\t4\t{time}",
        "movielens-dat" => $"{user}::{item}::4::{time}",
        "taobao" => $"{user},{item},3,pv,{time}",
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    private static int Fields(string format) => format switch
    {
        "comirec-csv" => 3,
        "taobao" => 5,
        _ => 4,
    };

    private static string Separator(string format) => format switch
    {
        "movielens-tsv" => "\t",
        "movielens-dat" => "::",
        _ => ",",
    };

    public static TheoryData<string, string> FormatsAndEndings()
    {
        var data = new TheoryData<string, string>();
        foreach (var f in new[] { "comirec-csv", "movielens-tsv", "movielens-dat", "taobao" })
        {
            foreach (var ending in new[] { "lf", "crlf", "bom+crlf" }) data.Add(f, ending);
        }

        return data;
    }

    public static TheoryData<string> Formats() =>
        new("comirec-csv", "movielens-tsv", "movielens-dat", "taobao");

    [Theory]
    [MemberData(nameof(FormatsAndEndings))]
    public void Load_ReadsSortsAndDetectsEachFormat_WithAnyLineEnding(string format, string ending)
    {
        // Rows (1, 10, 300), (1, 11, 100), (2, 10, 200): user 1 sorted by time is 11, 10; user 2 has one item (accepted).
        var newline = ending == "lf" ? "\n" : "\r\n";
        var text = string.Join(newline, Row(format, "1", "10", "300"), Row(format, "1", "11", "100"), Row(format, "2", "10", "200")) + newline;
        var bytes = Encoding.UTF8.GetBytes(text);
        if (ending.StartsWith("bom", StringComparison.Ordinal)) bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(bytes).ToArray();
        var path = _dir.FileBytes("data.txt", bytes);

        InteractionFileReader.DetectFormat(path).Name.Should().Be(format);
        var ds = InteractionFileReader.Load(path, null, out var report);

        report.Format.Should().Be(format);
        report.Lines.Should().Be(3);
        UserIds(ds).Should().Equal(1L, 2L);
        Originals(ds, 0).Should().Equal(11L, 10L);
        Originals(ds, 1).Should().Equal(10L);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Load_RejectsAUserIdWithAControlCharacter(string format)
    {
        // Text ids are accepted (except by MovieLens); one with a control character (DEL) never is.
        var bad = Row(format, "u\u007F", "10", "300");
        var e = Fails(format, bad);

        e.Message.Should().Contain("user id");
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Load_RejectsAnEmptyItemId(string format)
    {
        var bad = Row(format, "7", "", "300");
        var e = Fails(format, bad);

        e.Message.Should().Contain("item id");
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Load_RejectsNonNumericTimestamp(string format)
    {
        var bad = Row(format, "7", "10", "2017-11-25");
        var e = Fails(format, bad);

        e.Message.Should().Contain($"integer timestamp in field {Fields(format)}");
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Load_RejectsAMissingColumn(string format)
    {
        // Drop the last field: one field fewer than expected.
        var good = Row(format, "7", "10", "300");
        var bad = good[..good.LastIndexOf(Separator(format), StringComparison.Ordinal)];
        var e = Fails(format, bad);

        e.Message.Should().Contain($"expected {Fields(format)} fields").And.Contain($"found {Fields(format) - 1}");
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Load_RejectsAnExtraColumn(string format)
    {
        var bad = Row(format, "7", "10", "300") + Separator(format) + "1";
        var e = Fails(format, bad);

        e.Message.Should().Contain($"expected {Fields(format)} fields").And.Contain("found more");
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Load_SkipsAndCountsTheBadRow_InLenientMode(string format)
    {
        var path = _dir.File("data.txt", string.Join("\n", Row(format, "1", "10", "300"), Row(format, "1", "", "300"), Row(format, "1", "11", "100")) + "\n");

        var ds = InteractionFileReader.Load(path, new LoadOptions { Reader = InteractionReaderRegistry.BuiltIn.Get(format), Lenient = true }, out var report);

        report.SkippedMalformed.Should().Be(1);
        report.Lines.Should().Be(3);
        Originals(ds, 0).Should().Equal(11L, 10L);
    }

    /// <summary>Writes a good first row and <paramref name="bad"/> as line 2; strict loading must stop at line 2.</summary>
    private DataFormatException Fails(string format, string bad)
    {
        var path = _dir.File("data.txt", Row(format, "1", "10", "300") + "\n" + bad + "\n");
        var act = () => InteractionFileReader.Load(path, new LoadOptions { Reader = InteractionReaderRegistry.BuiltIn.Get(format) });
        var e = act.Should().Throw<DataFormatException>().Which;
        e.Line.Should().Be(2);
        e.FilePath.Should().Be(path);
        e.Text.Should().Be(bad);
        e.Message.Should().Contain($"\"{bad.Replace("\u007F", "\\x7F")}\"", "the message quotes the line with its control characters escaped");
        return e;
    }
}
