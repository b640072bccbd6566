using System.Globalization;
using System.Text;

namespace Re4.Recommenders.Data;

/// <summary>Makes text read from a file safe to quote in a message: a control character (an ESC starting a terminal
/// sequence, a BEL, a C1 control) or a bidirectional override would act on the terminal that prints the message, so it
/// is shown escaped instead (a tab, harmless, stays): <c>\r</c>, <c>\n</c>, <c>\x1B</c> for the other C0/C1 controls and DEL, and
/// <c>\u202E</c> for the invisible format characters (bidirectional overrides and isolates).</summary>
internal static class DisplayText
{
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var i = 0;
        while (i < text.Length && !NeedsEscape(text[i])) i++;
        if (i == text.Length) return text;   // the common case allocates nothing

        var b = new StringBuilder(text.Length + 16).Append(text, 0, i);
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (!NeedsEscape(c))
            {
                b.Append(c);
                continue;
            }

            b.Append(c switch
            {
                '\r' => @"\r",
                '\n' => @"\n",
                _ when c <= '\u00FF' => string.Create(CultureInfo.InvariantCulture, $@"\x{(int)c:X2}"),
                _ => string.Create(CultureInfo.InvariantCulture, $@"\u{(int)c:X4}"),
            });
        }

        return b.ToString();
    }

    private static bool NeedsEscape(char c) =>
        c != '\t' && char.IsControl(c) || c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069' or '\u200E' or '\u200F' or '\u061C';
}
