using System.Runtime.InteropServices;

namespace Re4.Recommenders.Training;

/// <summary>
/// The C library's allocator, which libtorch's CPU tensors come from. A training step allocates and frees the same
/// large buffers every step (the logits, their gradient, the encoder's activations: megabytes each); glibc's defaults
/// return such memory to the operating system at once and map it again at the next step, so every step pays page faults
/// on fresh pages. <see cref="RetainFreedMemory()"/> tells glibc to keep and reuse that memory instead: measured on
/// Beauty-shaped data, about 30 % less CPU time per ComiRec-SA step and 15 % per Re4 step (docs/benchmarks.md,
/// "The allocator").
/// Results are unchanged: only where the memory comes from differs.
/// </summary>
/// <remarks>The setting is process-wide, so the library never applies it by itself: an application that trains calls
/// it once at start-up (the <c>re4</c> command line does). The cost is memory: up to <see cref="TrimThreshold"/> of freed
/// memory stays with the process instead of going back to the system, and buffers up to <see cref="MmapThreshold"/>
/// come from the heap, where they can fragment it. Not for a long-running service whose memory must shrink after a peak.</remarks>
public static class NativeAllocator
{
    /// <summary>Allocations up to this size come from the heap, not from a fresh mapping each (32 MiB, the largest value
    /// every glibc accepts on 64-bit systems).</summary>
    public const long MmapThreshold = 32L << 20;

    /// <summary>Freed memory at the top of the heap kept before any is returned to the system (512 MiB).</summary>
    public const long TrimThreshold = 512L << 20;

    /// <summary>Extra memory taken from the system each time the heap grows (64 MiB).</summary>
    public const long TopPad = 64L << 20;

    /// <summary>The environment variables by which a user sets glibc's allocator; when any is set, the user's choice stands.</summary>
    public static IReadOnlyList<string> UserVariables { get; } =
        ["MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "GLIBC_TUNABLES"];

    // mallopt's parameters (malloc.h).
    private const int MTrimThreshold = -1, MTopPad = -2, MMmapThreshold = -3;

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int MallocOption(int parameter, int value);

    /// <summary>Keeps freed native memory for reuse (<see cref="MmapThreshold"/>, <see cref="TrimThreshold"/>,
    /// <see cref="TopPad"/>), on Linux with glibc and when the environment does not set the allocator already.</summary>
    /// <returns>Whether the setting was applied: false on other systems and C libraries (nothing changes there), or when
    /// one of <see cref="UserVariables"/> is set.</returns>
    public static bool RetainFreedMemory() =>
        RetainFreedMemory(Environment.GetEnvironmentVariable, MallocOption);

    /// <summary>Whether the environment sets glibc's allocator itself (one of <see cref="UserVariables"/> is set).</summary>
    public static bool SetByEnvironment() => SetByEnvironment(Environment.GetEnvironmentVariable);

    private static bool SetByEnvironment(Func<string, string?> environment) => UserVariables.Any(v => !string.IsNullOrEmpty(environment(v)));

    /// <summary><see cref="RetainFreedMemory()"/> reading the environment through <paramref name="environment"/> and
    /// setting each parameter through <paramref name="mallopt"/> (the test seam: the tests never change the process's
    /// allocator, which other tests measure).</summary>
    internal static bool RetainFreedMemory(Func<string, string?> environment, Func<int, int, int> mallopt)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(mallopt);
        if (!OperatingSystem.IsLinux() || SetByEnvironment(environment)) return false;
        try
        {
            // mallopt takes an int: every value here is below 2^31. It returns 1 on success, 0 when a value is refused;
            // the mmap threshold goes first, so that a glibc refusing it is left with nothing changed.
            return mallopt(MMmapThreshold, (int)MmapThreshold) == 1
                && mallopt(MTrimThreshold, (int)TrimThreshold) == 1
                && mallopt(MTopPad, (int)TopPad) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;   // a C library without mallopt (e.g. musl): its own allocator stays as it is
        }
    }
}
