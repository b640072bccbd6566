using System.Text;
using CsCheck;
using Re4.Recommenders.Data;

namespace Re4.Recommenders.Tests.Data;

/// <summary>Issue 11: random and mutated input for every loader ends in a data set or a <see cref="DataFormatException"/>
/// whose message carries no control character; never another exception. Inputs are built from the pieces that break
/// parsers: digits beyond a long, signs, every separator, control characters, a BOM, bytes that are not UTF-8.</summary>
public sealed class LoaderPropertyTests
{
    // Each load allocates the reader's 1 MiB buffer: 500 inputs × 5 formats × 2 modes take a few seconds.
    private const int Iterations = 500;

    private static readonly string[] Pieces =
    [
        "1", "42", "0", "-", "-7", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "99999999999999999999999",
        "000000000000000000000001", ",", ",", "::", "\t", " ", "\n", "\n", "\r\n", "\r", "pv", "buy", "x", "user_id", "3.5", "1e5",
        "\u001B]0;t\u0007", "\0", "\u202E", "é", "\uFEFF",
    ];

    private static readonly Gen<byte[]> Text = Gen.OneOf(
        // Lines of typical pieces in random order.
        Gen.Int[0, Pieces.Length - 1].Array[0, 40].Select(ix => Encoding.UTF8.GetBytes(string.Concat(ix.Select(i => Pieces[i])))),
        // Raw bytes, invalid UTF-8 included.
        Gen.Byte.Array[0, 120],
        // A valid file of some format, truncated, with one byte flipped and a piece inserted.
        Gen.Select(Gen.Int[0, 4], Gen.Int[0, 400], Gen.Int[0, 400], Gen.Byte, Gen.Int[0, Pieces.Length - 1]).Select(Mutate));

    private static readonly string[] ValidFiles =
    [
        "1 10 11 12\n2 11 13\n3 10\n",
        "user_id,item_id,timestamp\n1,10,5\n1,11,3\n2,10,9\n",
        "1\t10\t5\t881250949\n2\t11\t3.5\t891717742\n",
        "1::10::5::978300760\n1::11::4::978302109\n",
        "1,10,100,pv,1511544070\n1,11,100,buy,1511561733\n2,10,7,pv,1511585270\n",
    ];

    private static byte[] Mutate((int File, int Cut, int Flip, byte Value, int Piece) m)
    {
        var bytes = Encoding.UTF8.GetBytes(ValidFiles[m.File]).ToList();
        if (bytes.Count > 0) bytes[m.Flip % bytes.Count] = m.Value;
        bytes.InsertRange(m.Cut % (bytes.Count + 1), Encoding.UTF8.GetBytes(Pieces[m.Piece]));
        return bytes.Take(Math.Max(1, m.Cut % (bytes.Count + 1) + m.Flip % 50)).ToArray();
    }

    /// <summary>The one invariant: a consistent data set, or a data format error with a clean message.</summary>
    private static void LoadsOrFailsCleanly(Func<SequenceDataset> load)
    {
        try
        {
            var data = load();
            data.UserCount.Should().BePositive();
            for (var u = 0; u < data.UserCount; u++)
            {
                var sequence = data.Sequence(u);
                sequence.Length.Should().BePositive();
                foreach (var item in sequence) item.Should().BeInRange(1, data.ItemCount);
            }
        }
        catch (DataFormatException e)
        {
            e.Message.Any(c => c != '\t' && char.IsControl(c)).Should().BeFalse(e.Message);
        }
    }

    [Fact]
    public void EveryReader_LoadsOrThrowsDataFormatException_ForRandomAndMutatedInput()
    {
        var tried = 0;
        Text.Sample(bytes =>
        {
            foreach (var reader in InteractionReaderRegistry.BuiltIn.Readers)
            {
                foreach (var lenient in new[] { false, true })
                {
                    tried++;
                    LoadsOrFailsCleanly(() => InteractionFileReader.Load(new MemoryStream(bytes), "fuzz", new LoadOptions { Reader = reader, Lenient = lenient }, out _));
                }
            }
        }, iter: Iterations, threads: 1);

        tried.Should().Be(Iterations * InteractionReaderRegistry.BuiltIn.Readers.Count * 2);
    }

    [Fact]
    public void Detection_LoadsOrThrowsDataFormatException_ForRandomAndMutatedFiles()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "fuzz.txt");
        Text.Sample(bytes =>
        {
            File.WriteAllBytes(path, bytes);
            LoadsOrFailsCleanly(() => InteractionFileReader.Load(path));
        }, iter: Iterations, threads: 1);
    }
}
