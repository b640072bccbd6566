using Re4.Cli;
using static Re4.Recommenders.Tests.Cli.CliRunner;

namespace Re4.Recommenders.Tests.Cli;

/// <summary><c>bench scoring</c> refuses sizes it cannot run before it allocates anything: a top-N longer than the gallery,
/// and a gallery, user batch or chunk of scores larger than the machine's memory.</summary>
public sealed class BenchBoundsTests
{
    [Fact]
    public void BenchScoring_IsAUsageError_ForATopLongerThanTheGallery()
    {
        var (code, output, err) = Run("bench", "scoring", "--items", "10", "--top", "50");

        code.Should().Be(2);
        output.Should().BeEmpty();
        err.Should().Be("re4 bench: option --top 50 exceeds the --items 10 of the gallery" + Environment.NewLine);
    }

    [Fact]
    public void BenchScoring_IsAUsageError_ForMoreMemoryThanTheMachineHas()
    {
        // 2,000,000 users × 1,000 interests × 16,384 items of scores (two float copies) alone are about 238 TiB.
        var (code, _, err) = Run("bench", "scoring", "--items", "100000", "--users", "2000000", "--interests", "1000");

        code.Should().Be(2);
        err.Should().Contain("the benchmark would need about").And.Contain("TiB of memory");
    }

    [Fact]
    public void BenchBytes_AddsTheGalleryCopiesTheQueriesAndOneChunkOfScores()
    {
        // Hand count for 9 items of d = 4, K = 2, 3 users: gallery (9 + 1) × 4 floats × 3 copies = 480 bytes; queries
        // 3 × 2 × 4 floats = 96 bytes; scores 3 × 2 × min(10, 16384) floats × 2 = 480 bytes.
        MemoryEstimate.BenchBytes(items: 9, dim: 4, interests: 2, users: 3).Should().Be(480 + 96 + 480);
    }
}
