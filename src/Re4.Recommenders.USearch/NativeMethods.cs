using System.Runtime.InteropServices;

namespace Re4.Recommenders.USearch;

/// <summary>The functions of USearch's C library (<c>libusearch_c</c>, shipped for linux-x64, win-x64 and osx-arm64 by the
/// Cloud.Unum.USearch package) that this project calls. The package's own C# wrapper has no filtered search, no buffer
/// save/load and no way to change the search expansion or thread count, so the whole surface is declared here once,
/// with blittable signatures; every call reports failure through its last argument, a static error string.</summary>
internal static unsafe class NativeMethods
{
    private const string Library = "libusearch_c";

    /// <summary>usearch_metric_kind_t: inner product (distance = 1 − ⟨a, b⟩).</summary>
    public const int MetricInnerProduct = 2;

    /// <summary>usearch_scalar_kind_t: 32-bit floats.</summary>
    public const int ScalarFloat32 = 1;

    [DllImport(Library, EntryPoint = "usearch_version")]
    public static extern IntPtr Version();

    [DllImport(Library, EntryPoint = "usearch_init")]
    public static extern IntPtr Init(ref InitOptions options, out IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_free")]
    public static extern void Free(IntPtr index, out IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_reserve")]
    public static extern void Reserve(UsearchIndexHandle index, nuint capacity, out IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_change_threads_add")]
    public static extern void ChangeThreadsAdd(UsearchIndexHandle index, nuint threads, out IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_change_threads_search")]
    public static extern void ChangeThreadsSearch(UsearchIndexHandle index, nuint threads, out IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_change_expansion_search")]
    public static extern void ChangeExpansionSearch(UsearchIndexHandle index, nuint expansion, out IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_size")]
    public static extern nuint Size(UsearchIndexHandle index, out IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_dimensions")]
    public static extern nuint Dimensions(UsearchIndexHandle index, out IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_connectivity")]
    public static extern nuint Connectivity(UsearchIndexHandle index, out IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_expansion_add")]
    public static extern nuint ExpansionAdd(UsearchIndexHandle index, out IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_add")]
    public static extern void Add(UsearchIndexHandle index, ulong key, float* vector, int scalarKind, out IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_search")]
    public static extern nuint Search(UsearchIndexHandle index, float* query, int scalarKind, nuint count, ulong* keys, float* distances, out IntPtr error);

    /// <summary>A search that only returns keys for which <paramref name="filter"/>(key, <paramref name="state"/>) is
    /// non-zero; the filter runs on the calling thread, during the call.</summary>
    [DllImport(Library, EntryPoint = "usearch_filtered_search")]
    public static extern nuint FilteredSearch(UsearchIndexHandle index, float* query, int scalarKind, nuint count,
        delegate* unmanaged[Cdecl]<ulong, void*, int> filter, void* state, ulong* keys, float* distances, out IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_serialized_length")]
    public static extern nuint SerializedLength(UsearchIndexHandle index, out IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_save_buffer")]
    public static extern void SaveBuffer(UsearchIndexHandle index, void* buffer, nuint length, out IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_load_buffer")]
    public static extern void LoadBuffer(UsearchIndexHandle index, void* buffer, nuint length, out IntPtr error);

    /// <summary>usearch_init_options_t, field for field (C enums are 4 bytes, <c>bool</c> one).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct InitOptions
    {
        public int MetricKind;
        public IntPtr Metric;
        public int Quantization;
        public nuint Dimensions;
        public nuint Connectivity;
        public nuint ExpansionAdd;
        public nuint ExpansionSearch;
        public byte Multi;
    }

    /// <summary>Throws when a call reported an error (a non-null message pointer).</summary>
    /// <exception cref="USearchException">The message USearch returned, with what was being done.</exception>
    public static void Check(IntPtr error, string operation)
    {
        if (error == IntPtr.Zero) return;
        throw new USearchException($"USearch failed to {operation}: {Marshal.PtrToStringUTF8(error)}");
    }
}
