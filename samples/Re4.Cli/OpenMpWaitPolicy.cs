using System.Runtime.InteropServices;

namespace Re4.Cli;

/// <summary>
/// Makes libtorch's OpenMP threads sleep, rather than spin, while they wait for work (<c>OMP_WAIT_POLICY=PASSIVE</c>),
/// unless the user set the variable. With spinning threads a training step on a machine whose cores other processes
/// also use ran 7 to 20 times slower (docs/benchmarks.md, "Threads"); sleeping costs little when the cores are free.
/// </summary>
/// <remarks>OpenMP reads the variable once, when libtorch is loaded, and .NET's <see cref="Environment.SetEnvironmentVariable(string, string)"/>
/// does not reach the native environment on Unix: so this calls the C library's <c>setenv</c>, and must run before the
/// first use of TorchSharp.</remarks>
internal static class OpenMpWaitPolicy
{
    /// <summary>The OpenMP variable.</summary>
    public const string Variable = "OMP_WAIT_POLICY";

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnvironment([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    /// <summary>Sets <c>OMP_WAIT_POLICY=PASSIVE</c> in the native environment when it is not set (Linux and macOS;
    /// elsewhere nothing).</summary>
    public static void PreferPassive()
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) || Environment.GetEnvironmentVariable(Variable) is not null) return;
        try
        {
            _ = SetEnvironment(Variable, "PASSIVE", 0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // No C library under that name: libtorch keeps OpenMP's default.
        }
    }
}
