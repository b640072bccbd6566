using Re4.Recommenders.Training;

namespace Re4.Recommenders.Tests.Training;

/// <summary><see cref="NativeAllocator"/>: applied on Linux's glibc (the test machine), left to the user when the
/// environment sets the allocator.</summary>
public sealed class NativeAllocatorTests
{
    [Fact]
    public void RetainFreedMemory_AppliesOnLinuxGlibc_WhenTheEnvironmentSetsNothing()
    {
        NativeAllocator.RetainFreedMemory(_ => null).Should().Be(OperatingSystem.IsLinux(), "glibc accepts every value (mallopt returns 1)");
    }

    [Theory]
    [InlineData("MALLOC_MMAP_THRESHOLD_")]
    [InlineData("MALLOC_TRIM_THRESHOLD_")]
    [InlineData("MALLOC_TOP_PAD_")]
    [InlineData("GLIBC_TUNABLES")]
    public void RetainFreedMemory_LeavesTheUsersSettingAlone(string variable)
    {
        NativeAllocator.RetainFreedMemory(name => name == variable ? "131072" : null).Should().BeFalse();
        NativeAllocator.UserVariables.Should().Contain(variable);
    }

    [Fact]
    public void Thresholds_FitMalloptsIntArgument()
    {
        new[] { NativeAllocator.MmapThreshold, NativeAllocator.TrimThreshold, NativeAllocator.TopPad }.Should().OnlyContain(v => v > 0 && v <= int.MaxValue);
    }
}
