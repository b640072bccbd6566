using System.Globalization;
using System.Text;

namespace Re4.Cli;

/// <summary>What <c>re4</c> prints on one error line: the first line of a message, with every control character that
/// came from a file or an argument escaped (<c>\x1B</c>, <c>\u202E</c>), so that a crafted value cannot move the cursor,
/// set the terminal's title or reorder the text of the line it is quoted in.</summary>
internal static class ConsoleText
{
    /// <summary>The first non-empty line of <paramref name="message"/>, escaped (native errors carry a backtrace below it;
    /// argument exceptions their "Actual value was" line).</summary>
    public static string OneLine(string message)
    {
        var first = message.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(l => l.Trim().Length > 0) ?? message;
        return Escape(first);
    }

    /// <summary>The message of <paramref name="e"/> on one line, without .NET's "(Parameter 'x')" suffix.</summary>
    public static string OneLine(Exception e)
    {
        var line = OneLine(e.Message);
        if (e is ArgumentException { ParamName: { } name })
        {
            var suffix = Escape($" (Parameter '{name}')");
            if (line.EndsWith(suffix, StringComparison.Ordinal)) line = line[..^suffix.Length];
        }

        return line;
    }

    /// <summary><paramref name="text"/> with control and bidirectional format characters escaped.</summary>
    public static string Escape(string text)
    {
        if (!text.Any(NeedsEscape)) return text;
        var b = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (!NeedsEscape(c))
                b.Append(c);
            else if (c is '\r' or '\n')
                b.Append(c == '\r' ? @"\r" : @"\n");
            else if (c <= '\u00FF')
                b.Append(CultureInfo.InvariantCulture, $@"\x{(int)c:X2}");
            else
                b.Append(CultureInfo.InvariantCulture, $@"\u{(int)c:X4}");
        }

        return b.ToString();
    }

    private static bool NeedsEscape(char c) =>
        c != '\t' && char.IsControl(c) || c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069' or '\u200E' or '\u200F' or '\u061C';
}
