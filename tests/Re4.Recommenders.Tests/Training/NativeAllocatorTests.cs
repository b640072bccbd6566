using Re4.Recommenders.Training;

namespace Re4.Recommenders.Tests.Training;

/// <summary><see cref="NativeAllocator"/> through its seam (the tests never change the process's allocator, which other
/// tests measure): the three mallopt calls on Linux, nothing when the environment sets the allocator or glibc refuses.</summary>
public sealed class NativeAllocatorTests
{
    [Fact]
    public void RetainFreedMemory_SetsTheMmapThresholdFirst_ThenTrimAndTopPad()
    {
        var calls = new List<(int Parameter, int Value)>();

        var applied = NativeAllocator.RetainFreedMemory(_ => null, (p, v) => { calls.Add((p, v)); return 1; });

        applied.Should().Be(OperatingSystem.IsLinux());
        if (OperatingSystem.IsLinux())
        {
            // malloc.h: M_MMAP_THRESHOLD −3, M_TRIM_THRESHOLD −1, M_TOP_PAD −2.
            calls.Should().Equal((-3, 32 << 20), (-1, 512 << 20), (-2, 64 << 20));
        }
    }

    [Fact]
    public void RetainFreedMemory_StopsAtTheFirstRefusal_AndSaysSo()
    {
        var calls = new List<int>();

        var applied = NativeAllocator.RetainFreedMemory(_ => null, (p, _) => { calls.Add(p); return 0; });

        applied.Should().BeFalse();
        calls.Should().HaveCountLessThanOrEqualTo(1, "a glibc that refuses the mmap threshold is left with nothing changed");
    }

    [Theory]
    [InlineData("MALLOC_MMAP_THRESHOLD_")]
    [InlineData("MALLOC_TRIM_THRESHOLD_")]
    [InlineData("MALLOC_TOP_PAD_")]
    [InlineData("GLIBC_TUNABLES")]
    public void RetainFreedMemory_LeavesTheUsersSettingAlone(string variable)
    {
        var called = false;

        NativeAllocator.RetainFreedMemory(name => name == variable ? "131072" : null, (_, _) => { called = true; return 1; }).Should().BeFalse();

        called.Should().BeFalse();
    }
}
