using System.Text;

namespace Re4.Recommenders.Data;

/// <summary>Streams a file's lines as UTF-8 byte spans without allocating per line: the loaders' fast path.
/// Strips a UTF-8 byte order mark and the <c>\r</c> of CRLF endings.</summary>
internal sealed class ByteLineReader : IDisposable
{
    private readonly Stream _stream;
    private byte[] _buffer;
    private int _start;   // first unread byte
    private int _end;     // one past the last valid byte
    private bool _eof;
    private bool _first = true;

    public ByteLineReader(Stream stream, int bufferSize = 1 << 20)
    {
        _stream = stream;
        _buffer = new byte[bufferSize];
    }

    /// <summary>1-based number of the line last returned.</summary>
    public long LineNumber { get; private set; }

    public bool TryReadLine(out ReadOnlySpan<byte> line)
    {
        while (true)
        {
            var available = _buffer.AsSpan(_start, _end - _start);
            var nl = available.IndexOf((byte)'\n');
            if (nl >= 0)
            {
                line = Trim(available[..nl]);
                _start += nl + 1;
                LineNumber++;
                return true;
            }

            if (_eof)
            {
                if (available.Length == 0)
                {
                    line = default;
                    return false;
                }

                line = Trim(available);
                _start = _end;
                LineNumber++;
                return true;
            }

            Fill();
        }
    }

    private void Fill()
    {
        // Move the partial line to the front; grow when a single line fills the buffer.
        var pending = _end - _start;
        if (pending == _buffer.Length)
            Array.Resize(ref _buffer, _buffer.Length * 2);
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, pending);
            _start = 0;
            _end = pending;
        }

        var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0)
        {
            _eof = true;
            return;
        }

        _end += read;
        if (_first)
        {
            // A stream may return fewer than 3 bytes per read: decide only once 3 bytes are in, or they cannot be a BOM.
            // (No line can end before then: the BOM's bytes are not '\n'.)
            if (_end >= 3)
            {
                _first = false;
                if (_buffer[0] == 0xEF && _buffer[1] == 0xBB && _buffer[2] == 0xBF)
                    _start = 3;
            }
            else if (!Bom[.._end].SequenceEqual(_buffer.AsSpan(0, _end)))
            {
                _first = false;
            }
        }
    }

    private static ReadOnlySpan<byte> Bom => [0xEF, 0xBB, 0xBF];

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> s)
    {
        var end = s.Length;
        while (end > 0 && (s[end - 1] == (byte)'\r' || s[end - 1] == (byte)' ' || s[end - 1] == (byte)'\t')) end--;
        var start = 0;
        while (start < end && (s[start] == (byte)' ' || s[start] == (byte)'\t')) start++;
        return s[start..end];
    }

    public static string Show(ReadOnlySpan<byte> line) => Encoding.UTF8.GetString(line.Length > 300 ? line[..300] : line);

    public void Dispose() => _stream.Dispose();
}
