namespace Re4.Recommenders.Data;

/// <summary>Thrown when an input file does not match its format. The message names the file, the 1-based line,
/// the offending text and what was expected, so that the user can fix the file without a debugger. Control characters of
/// the file (an ESC of a crafted line would act on the terminal that prints the message) appear escaped in the message,
/// as <c>\x1B</c>; <see cref="Text"/> keeps them as read.</summary>
public sealed class DataFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="file">The file being read (or a description of the source).</param>
    /// <param name="line">1-based line number, or 0 when the problem concerns the whole file.</param>
    /// <param name="text">The offending text (truncated to 200 characters).</param>
    /// <param name="expected">What the reader expected instead.</param>
    public DataFormatException(string file, long line, string text, string expected)
        : base(Describe(file, line, text, expected))
    {
        FilePath = file;
        Line = line;
        Text = text;
        Expected = expected;
    }

    /// <summary>The file being read.</summary>
    public string FilePath { get; }

    /// <summary>1-based line number; 0 when the problem concerns the whole file.</summary>
    public long Line { get; }

    /// <summary>The offending text.</summary>
    public string Text { get; }

    /// <summary>What was expected.</summary>
    public string Expected { get; }

    private static string Describe(string file, long line, string text, string expected)
    {
        var shown = DisplayText.Escape(text.Length > 200 ? text[..200] + "..." : text);
        file = DisplayText.Escape(file);
        expected = DisplayText.Escape(expected);
        return line > 0
            ? $"{file}:{line}: {expected}; found \"{shown}\"."
            : $"{file}: {expected}{(shown.Length > 0 ? $"; found \"{shown}\"" : string.Empty)}.";
    }
}
