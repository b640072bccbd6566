using System.Buffers.Text;
using System.Globalization;

namespace Re4.Recommenders.Data;

/// <summary>The one rule for what an original id is: an id whose text is the canonical decimal form of a 64-bit
/// integer (optional '-', no leading zeros, no '+', no spaces) is stored as that number; any other text is kept as
/// text, exactly. So an id always prints back as it was written, and numeric files keep their fast path.</summary>
internal static class OriginalIdText
{
    /// <summary>The most UTF-8 bytes a text id may have (a bound against runaway fields, far above any SKU or UUID).</summary>
    public const int MaxBytes = 256;

    /// <summary>Whether <paramref name="text"/> is the canonical decimal form of a long; allocates nothing.</summary>
    public static bool TryParseNumber(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        if ((uint)(text.Length - 1) < 18 && (uint)(text[0] - '1') <= 8)
        {
            // The common case, 1 to 18 digits without a sign: cannot overflow, so a plain loop (the loading hot path).
            long v = 0;
            foreach (var c in text)
            {
                var digit = (uint)(c - '0');
                if (digit > 9) return false;
                v = v * 10 + digit;
            }

            value = v;
            return true;
        }

        if (text.Length == 1) return text[0] == (byte)'0';   // "0"
        var digits = !text.IsEmpty && text[0] == (byte)'-' ? text[1..] : text;
        if (digits.IsEmpty || digits.Length > 19) return false;
        if ((uint)(digits[0] - '0') > 9) return false;   // "+5", " 5"
        if (digits[0] == (byte)'0') return false;   // "007", "-0"
        // Utf8Parser checks the digits and overflow; the checks above make the accepted text canonical.
        return Utf8Parser.TryParse(text, out value, out var consumed) && consumed == text.Length;
    }

    /// <summary>As <see cref="TryParseNumber(ReadOnlySpan{byte}, out long)"/> for a .NET string.</summary>
    public static bool TryParseNumber(ReadOnlySpan<char> text, out long value)
    {
        value = 0;
        var digits = !text.IsEmpty && text[0] == '-' ? text[1..] : text;
        if (digits.IsEmpty || digits.Length > 19) return false;
        if (digits[0] == '0' && (digits.Length > 1 || digits.Length != text.Length)) return false;
        foreach (var c in digits)
        {
            if (c is < '0' or > '9') return false;
        }

        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>The text form of a numeric id.</summary>
    public static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Why a text id is not acceptable, or null when it is: not empty, at most <see cref="MaxBytes"/> bytes of
    /// valid UTF-8, no control characters (they would break the tab- and line-separated outputs) and no bidirectional
    /// controls (they would reorder what a terminal shows).</summary>
    public static string? Problem(ReadOnlySpan<byte> text)
    {
        if (text.IsEmpty) return "an id is empty";
        if (text.Length > MaxBytes) return $"an id is longer than {MaxBytes} bytes";
        if (!System.Text.Unicode.Utf8.IsValid(text)) return "an id is not valid UTF-8";
        for (var i = 0; i < text.Length; i++)
        {
            var b = text[i];
            if (b < 0x20 || b == 0x7F) return "an id holds a control character";
            // C1 controls U+0080..U+009F (C2 80..C2 9F) and the bidirectional overrides and isolates U+202A..U+202E,
            // U+2066..U+2069 (E2 80 AA..AE, E2 81 A6..A9): they act on a terminal or reorder the text around them.
            if (b == 0xC2 && i + 1 < text.Length && text[i + 1] is >= 0x80 and <= 0x9F) return "an id holds a control character";
            if (b == 0xE2 && i + 2 < text.Length
                && ((text[i + 1] == 0x80 && text[i + 2] is >= 0xAA and <= 0xAE) || (text[i + 1] == 0x81 && text[i + 2] is >= 0xA6 and <= 0xA9)))
                return "an id holds a bidirectional control character";
        }

        return null;
    }

    /// <summary>As <see cref="Problem(ReadOnlySpan{byte})"/> for a .NET string.</summary>
    public static string? Problem(string text)
    {
        if (text.Length == 0) return "an id is empty";
        foreach (var c in text)
        {
            if (char.IsControl(c)) return "an id holds a control character";
            if (c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069') return "an id holds a bidirectional control character";
        }

        if (System.Text.Encoding.UTF8.GetByteCount(text) > MaxBytes) return $"an id is longer than {MaxBytes} bytes";
        return null;
    }
}
