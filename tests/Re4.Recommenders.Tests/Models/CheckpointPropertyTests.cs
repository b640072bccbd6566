using CsCheck;
using Re4.Recommenders.Models;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Models;

/// <summary>Issue 11: <see cref="ModelCheckpoint.Load(string, Device?)"/> on a folder whose files are truncated, have a
/// byte flipped or are replaced by random bytes ends in a model or an <see cref="InvalidDataException"/> naming the
/// folder's file; never another exception. It only reads the current format (files written by
/// <see cref="ModelCheckpoint.Save"/>), whatever is added to it later.</summary>
public sealed class CheckpointPropertyTests
{
    private const int Iterations = 300;

    [Fact]
    public void Load_ReturnsAModelOrThrowsInvalidData_ForDamagedFiles()
    {
        using var dir = new TempDir();
        var original = Path.Combine(dir.Path, "original");
        manual_seed(5);
        using (var model = new MultiInterestModel(new ModelConfig { ItemCount = 6, Dimension = 3, Interests = 2, MaxLength = 4 }))
            ModelCheckpoint.Save(original, model, [0, 10, 20, 30, 40, 50, 60]);
        var files = Directory.GetFiles(original).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        var contents = files.Select(f => File.ReadAllBytes(Path.Combine(original, f!))).ToArray();
        var damaged = Path.Combine(dir.Path, "damaged");
        var outcomes = new Dictionary<string, int>();

        Gen.Select(Gen.Int[0, files.Length - 1], Gen.Int[0, 2], Gen.Int[0, int.MaxValue], Gen.Byte, Gen.Byte.Array[0, 64]).Sample(m =>
        {
            var (file, kind, position, value, random) = m;
            Directory.CreateDirectory(damaged);
            for (var f = 0; f < files.Length; f++) File.WriteAllBytes(Path.Combine(damaged, files[f]!), contents[f]);
            var bytes = contents[file].ToArray();
            bytes = kind switch
            {
                0 => bytes[..(position % bytes.Length)],                                           // truncated
                1 => Flip(bytes, position % bytes.Length, value),                                  // one byte changed
                _ => random,                                                                       // replaced
            };
            File.WriteAllBytes(Path.Combine(damaged, files[file]!), bytes);

            string outcome;
            try
            {
                using var loaded = ModelCheckpoint.Load(damaged);
                outcome = "loaded";
            }
            catch (InvalidDataException e)
            {
                e.Message.Should().Contain(damaged);
                outcome = "invalid data";
            }

            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }, iter: Iterations, threads: 1);

        outcomes.Values.Sum().Should().Be(Iterations);
        outcomes.Should().ContainKey("invalid data");
    }

    private static byte[] Flip(byte[] bytes, int at, byte value)
    {
        bytes[at] = bytes[at] == value ? (byte)~value : value;
        return bytes;
    }
}
