using Re4.Recommenders.Data;
using static Re4.Recommenders.Tests.Data.DataTestHelpers;

namespace Re4.Recommenders.Tests.Docs;

// Section 7 of docs/extending.md, "A data format of your own": its code blocks are verbatim parts of this file.

/// <summary>Interactions as <c>user|item|timestamp</c>, one per line, with an optional header line.</summary>
public sealed class PipeSeparatedReader : InteractionLogReader
{
    public override string Name => "pipe";

    public override string Layout => "user|item|timestamp";

    // No built-in format uses '|', so two of them make a match; only the sequence format's fallback competes.
    public override FormatMatch Detect(ReadOnlySpan<byte> line) =>
        line.Count((byte)'|') != 2 ? FormatMatch.None
        : char.IsAsciiDigit((char)line[0]) ? FormatMatch.Match
        : FormatMatch.Header;

    public override bool IsHeader(ReadOnlySpan<byte> line) => line.SequenceEqual("user|item|timestamp"u8);

    public override LineResult Parse(ReadOnlySpan<byte> line, out Interaction interaction)
    {
        interaction = default;
        var first = line.IndexOf((byte)'|');
        var second = first < 0 ? -1 : line[(first + 1)..].IndexOf((byte)'|');
        if (second < 0) return LineResult.Malformed($"expected 3 fields '{Layout}'");
        var rest = line[(first + 1)..];
        if (!TryParseId(line[..first], out var user))
            return LineResult.Malformed($"expected a non-negative integer user id in field 1 of '{Layout}'");
        if (!TryParseId(rest[..second], out var item))
            return LineResult.Malformed($"expected a non-negative integer item id in field 2 of '{Layout}'");
        if (!TryParseTimestamp(rest[(second + 1)..], out var time))   // a fourth field fails here too
            return LineResult.Malformed($"expected an integer timestamp in field 3 of '{Layout}'");
        interaction = new Interaction(user, item, time);
        return LineResult.Kept;
    }
}

/// <summary>The pipe reader registered, detected, given explicitly, and failing on a malformed line.</summary>
public sealed class ExtendingFormatTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Load_DetectsARegisteredReader_AndUsesAnExplicitOneAsGiven()
    {
        // User 1: item 10 at 300, item 11 at 100 → 11, 10 by time; user 2: item 10. The header is skipped.
        var path = _dir.File("clicks.txt", "user|item|timestamp\n1|10|300\n1|11|100\n2|10|200\n");

        var readers = InteractionReaderRegistry.BuiltIn.With(new PipeSeparatedReader());   // the registration line
        var detected = InteractionFileReader.Load(path, new LoadOptions { Readers = readers }, out var report);
        var explicitly = InteractionFileReader.Load(path, new LoadOptions { Reader = new PipeSeparatedReader() });

        report.Format.Should().Be("pipe");
        report.HeaderSkipped.Should().BeTrue();
        report.Lines.Should().Be(3);
        foreach (var data in new[] { detected, explicitly })
        {
            UserIds(data).Should().Equal(1L, 2L);
            Originals(data, 0).Should().Equal(11L, 10L);
            Originals(data, 1).Should().Equal(10L);
        }
    }

    [Fact]
    public void Load_FallsBackToTheSequenceFormatAndFailsThere_WhenTheReaderIsUnregistered()
    {
        // Without the registration nothing claims '|' lines but the sequence format's fallback.
        var path = _dir.File("clicks.txt", "1|10|300\n");

        InteractionFileReader.DetectFormat(path).Name.Should().Be("sequence");
        var act = () => InteractionFileReader.Load(path);
        act.Should().Throw<DataFormatException>().Which.Message.Should().Contain("expected at least one item after the user id");
    }

    [Fact]
    public void Load_NamesFileLineTextAndWhatWasExpected_ForAMalformedLine()
    {
        var path = _dir.File("clicks.txt", "1|10|300\n2|12|soon\n");

        var act = () => InteractionFileReader.Load(path, new LoadOptions { Reader = new PipeSeparatedReader() });
        var e = act.Should().Throw<DataFormatException>().Which;

        e.Line.Should().Be(2);
        e.FilePath.Should().Be(path);
        e.Text.Should().Be("2|12|soon");
        e.Message.Should().Be($"{path}:2: expected an integer timestamp in field 3 of 'user|item|timestamp'; found \"2|12|soon\".");
    }

    [Theory]
    [InlineData("1|10", "expected 3 fields")]
    [InlineData("x|10|5", "user id in field 1")]
    [InlineData("1|y|5", "item id in field 2")]
    [InlineData("1|10|5|6", "integer timestamp in field 3")]
    public void Parse_ChecksEachField(string line, string expected)
    {
        var result = new PipeSeparatedReader().Parse(System.Text.Encoding.UTF8.GetBytes(line), out _);

        result.Status.Should().Be(LineStatus.Malformed);
        result.Expected.Should().Contain(expected);
    }

    [Fact]
    public void Load_SkipsTheMalformedLine_InLenientMode()
    {
        var path = _dir.File("clicks.txt", "1|10|300\n2|12|soon\n2|13|5\n");

        var data = InteractionFileReader.Load(path, new LoadOptions { Reader = new PipeSeparatedReader(), Lenient = true }, out var report);

        report.SkippedMalformed.Should().Be(1);
        UserIds(data).Should().Equal(1L, 2L);
        Originals(data, 1).Should().Equal(13L);
    }
}
