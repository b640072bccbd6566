using Microsoft.Win32.SafeHandles;

namespace Re4.Recommenders.USearch;

/// <summary>Owns one native USearch index: freed exactly once, when the last call using it has returned (the runtime
/// adds a reference around every P/Invoke that takes the handle).</summary>
internal sealed class UsearchIndexHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public UsearchIndexHandle()
        : base(ownsHandle: true)
    {
    }

    /// <summary>Creates an empty inner-product index of 32-bit floats.</summary>
    /// <exception cref="USearchException">USearch refused the options.</exception>
    public static UsearchIndexHandle Create(int dimension, int connectivity, int expansionAdd, int expansionSearch)
    {
        var options = new NativeMethods.InitOptions
        {
            MetricKind = NativeMethods.MetricInnerProduct,
            Quantization = NativeMethods.ScalarFloat32,
            Dimensions = (nuint)dimension,
            Connectivity = (nuint)connectivity,
            ExpansionAdd = (nuint)expansionAdd,
            ExpansionSearch = (nuint)expansionSearch,
        };
        var pointer = NativeMethods.Init(ref options, out var error);
        if (error != IntPtr.Zero && pointer != IntPtr.Zero)
        {
            NativeMethods.Free(pointer, out _);
            pointer = IntPtr.Zero;
        }

        NativeMethods.Check(error, $"create an index (d = {dimension}, connectivity {connectivity})");
        if (pointer == IntPtr.Zero) throw new USearchException($"USearch failed to create an index (d = {dimension}): it returned no index.");
        var handle = new UsearchIndexHandle();
        handle.SetHandle(pointer);
        return handle;
    }

    protected override bool ReleaseHandle()
    {
        NativeMethods.Free(handle, out var error);
        return error == IntPtr.Zero;
    }
}
