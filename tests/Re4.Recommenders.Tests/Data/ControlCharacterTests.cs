using System.Text;
using Re4.Recommenders.Data;
using Re4.Recommenders.Data.Formats;

namespace Re4.Recommenders.Tests.Data;

/// <summary>Issue 11, item 9: text of a data file quoted in an error is escaped, so that a crafted line cannot act on the
/// terminal that prints the message (an OSC sequence setting the window title, a BEL, a bidirectional override).</summary>
public sealed class ControlCharacterTests
{
    private const string TitleSequence = "\u001B]0;pwned\u0007";

    private static DataFormatException Error(InteractionReader reader, string text)
    {
        var act = () => InteractionFileReader.Load(new MemoryStream(Encoding.UTF8.GetBytes(text)), "t\u001B.csv", new LoadOptions { Reader = reader }, out _);
        return act.Should().Throw<DataFormatException>().Which;
    }

    [Fact]
    public void Message_EscapesControlCharactersOfTheLine()
    {
        var e = Error(new ComiRecCsvReader(), $"1,2,3\n2,{TitleSequence},5\n");

        e.Message.Should().Contain(@"found ""2,\x1B]0;pwned\x07,5""");
        e.Message.Should().StartWith(@"t\x1B.csv:2: ");
        e.Message.Any(char.IsControl).Should().BeFalse();
        e.Text.Should().Be($"2,{TitleSequence},5", "the property keeps the text as read");
    }

    [Fact]
    public void Message_EscapesControlCharactersQuotedInTheExpectation()
    {
        // The sequence reader quotes the bad token inside its expectation, not only in "found".
        var e = Error(new SequencePerLineReader(), $"1 2 x{TitleSequence}\n");

        e.Message.Should().Contain(@"'x\x1B]0;pwned\x07' is not one");
        e.Message.Any(char.IsControl).Should().BeFalse();
    }

    [Fact]
    public void Message_EscapesBidirectionalOverridesAndC1Controls()
    {
        var e = Error(new ComiRecCsvReader(), "1,\u202E2\u009B,3\n");

        e.Message.Should().Contain(@"1,\u202E2\x9B,3");
    }

    [Fact]
    public void Message_KeepsTabs_WhichDoNotActOnATerminal()
    {
        var e = Error(new MovieLensTsvReader(), "1\tx\t5\t1\n");

        e.Message.Should().Contain("found \"1\tx\t5\t1\"");
    }
}
