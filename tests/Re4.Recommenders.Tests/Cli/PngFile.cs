using System.Buffers.Binary;

namespace Re4.Recommenders.Tests.Cli;

/// <summary>Checks a picture the CLI wrote by reading the PNG container itself (RFC 2083), not through an image library.</summary>
internal static class PngFile
{
    // The 8-byte PNG signature: \x89 P N G \r \n \x1a \n.
    private static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Asserts <paramref name="path"/> is a PNG whose first chunk is a 13-byte IHDR with a sensible size, and
    /// that it is large enough to hold a drawn chart rather than a blank canvas.</summary>
    /// <returns>The width and height from the IHDR chunk.</returns>
    public static (int Width, int Height) ShouldBeAChart(string path)
    {
        File.Exists(path).Should().BeTrue($"{path} should have been written");
        var bytes = File.ReadAllBytes(path);
        bytes.Length.Should().BeGreaterThan(10_000, "a chart with text and lines compresses to more than a few KB");
        bytes.AsSpan(0, 8).ToArray().Should().Equal(Signature);
        BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(8, 4)).Should().Be(13, "IHDR's data is 13 bytes");
        System.Text.Encoding.ASCII.GetString(bytes, 12, 4).Should().Be("IHDR");
        var width = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16, 4));
        var height = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20, 4));
        width.Should().BeInRange(600, 4000);
        height.Should().BeInRange(400, 4000);
        System.Text.Encoding.ASCII.GetString(bytes, bytes.Length - 8, 4).Should().Be("IEND", "the file should end with its IEND chunk (not truncated)");
        return (width, height);
    }
}
