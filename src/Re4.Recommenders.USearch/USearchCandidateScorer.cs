using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.IO.Hashing;
using Microsoft.Extensions.Logging;
using Re4.Recommenders.Scoring;

namespace Re4.Recommenders.USearch;

/// <summary>
/// Approximate retrieval with USearch's HNSW graph over the item table (inner-product metric): each of a user's K
/// interest vectors searches the graph for its nearest max(N, ef) items, the candidates are re-scored exactly against
/// the item table and merged by max over interests, and the user's top N is kept.
/// </summary>
/// <remarks>
/// <para>Follows the <see cref="ICandidateScorer"/> contract on the candidates the graph finds: ids 1..N, scores are
/// exact inner products (so an item's score equals the exact scorers' to rounding), ties broken by the lower item id and
/// the lower interest, −∞ and NaN scores never returned, and excluded items never returned (they are filtered inside
/// the graph search by a callback, so the graph still fills the top N around them). What is approximate is only which
/// items are found: the fraction of the exact top N that is found (recall) grows with
/// <see cref="USearchScorerOptions.ExpansionSearch"/> and <see cref="USearchScorerOptions.Connectivity"/>. Where
/// max(N, ef) covers the whole gallery, the graph is skipped and every item is re-scored, so the answer is exact.</para>
/// <para>Thread-safe: concurrent <see cref="Retrieve"/> calls share <see cref="USearchScorerOptions.Threads"/> native
/// search contexts (a semaphore hands them out). The graph is built by that many threads adding items at once, so two
/// builds of one table differ slightly; a saved index (<see cref="Save"/>) gives the same answers every time it is
/// loaded.</para>
/// <para>Memory: the graph holds its own copy of the vectors (N·d floats) plus about 2·M links of 4 bytes per item;
/// the scorer also keeps the table it was given, for exact re-scoring.</para>
/// </remarks>
public sealed unsafe class USearchCandidateScorer : ICandidateScorer, IDisposable
{
    /// <summary>The index file's name in a model folder (see <see cref="IndexPathFor"/>).</summary>
    public const string IndexFileName = "usearch.index";

    private readonly UsearchIndexHandle _index;
    private readonly ItemEmbeddingTable _table;
    private readonly USearchScorerOptions _options;
    private readonly UInt128 _tableHash;
    private readonly SemaphoreSlim _contexts;

    private USearchCandidateScorer(UsearchIndexHandle index, ItemEmbeddingTable table, USearchScorerOptions options, UInt128 tableHash, USearchIndexOrigin origin)
    {
        _index = index;
        _table = table;
        _options = options;
        _tableHash = tableHash;
        Origin = origin;
        // USearch hands each concurrent call one of its per-thread contexts and fails (rather than waits) when none is
        // free, so callers wait here for one instead.
        _contexts = new SemaphoreSlim(options.Threads, options.Threads);
        NativeMethods.ChangeThreadsSearch(_index, (nuint)options.Threads, out var error);
        NativeMethods.Check(error, $"reserve {options.Threads} search threads");
        NativeMethods.ChangeExpansionSearch(_index, (nuint)options.ExpansionSearch, out error);
        NativeMethods.Check(error, $"set expansion_search to {options.ExpansionSearch}");
    }

    /// <inheritdoc />
    public int ItemCount => _table.ItemCount;

    /// <inheritdoc />
    public int Dimension => _table.Dimension;

    /// <summary>Whether the graph was built here or loaded from a file.</summary>
    public USearchIndexOrigin Origin { get; }

    /// <summary>The options the scorer was created with.</summary>
    public USearchScorerOptions Options => _options;

    /// <summary>The version of the native USearch library in use (e.g. <c>2.26.6</c>).</summary>
    public static string NativeVersion => Marshal.PtrToStringUTF8(NativeMethods.Version()) ?? "?";

    /// <summary>The index file of the model folder <paramref name="modelDirectory"/>.</summary>
    public static string IndexPathFor(string modelDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelDirectory);
        return Path.Combine(modelDirectory, IndexFileName);
    }

    /// <summary>Builds the graph over <paramref name="table"/>'s items 1..N, adding items from
    /// <see cref="USearchScorerOptions.Threads"/> threads at once.</summary>
    /// <param name="table">The item table; kept (not copied) for exact re-scoring, so it must not change.</param>
    /// <param name="options">Graph options (defaults when null), validated here.</param>
    /// <param name="progress">Receives the number of items added so far, now and then.</param>
    /// <param name="cancellationToken">Stops the build (the partial graph is freed).</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="USearchException">The native library failed.</exception>
    public static USearchCandidateScorer Build(ItemEmbeddingTable table, USearchScorerOptions? options = null, IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        options ??= new USearchScorerOptions();
        options.Validate();
        var hash = USearchIndexFile.TableHash(table);
        var index = UsearchIndexHandle.Create(table.Dimension, options.Connectivity, options.ExpansionAdd, options.ExpansionSearch);
        try
        {
            NativeMethods.Reserve(index, (nuint)table.ItemCount, out var error);
            NativeMethods.Check(error, $"reserve room for {table.ItemCount} items");
            NativeMethods.ChangeThreadsAdd(index, (nuint)options.Threads, out error);
            NativeMethods.Check(error, $"reserve {options.Threads} build threads");
            // The package's batch Add is a loop on one thread; USearch's graph takes concurrent adds (one native
            // context per thread, reserved above), so contiguous ranges of items go to the threads.
            var added = 0;
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Threads, CancellationToken = cancellationToken };
            var ranges = System.Collections.Concurrent.Partitioner.Create(1, table.ItemCount + 1, Math.Max(64, table.ItemCount / (options.Threads * 64)));
            Parallel.ForEach(ranges, parallel, range =>
            {
                for (var item = range.Item1; item < range.Item2; item++)
                {
                    fixed (float* row = table[item])
                    {
                        NativeMethods.Add(index, (ulong)item, row, NativeMethods.ScalarFloat32, out var addError);
                        NativeMethods.Check(addError, $"add item {item}");
                    }
                }

                var total = Interlocked.Add(ref added, range.Item2 - range.Item1);
                progress?.Report(total);
                cancellationToken.ThrowIfCancellationRequested();
            });
            return new USearchCandidateScorer(index, table, options, hash, USearchIndexOrigin.Built);
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    /// <summary>Loads an index file written by <see cref="Save"/>, after checking that it was built from
    /// <paramref name="table"/> with <paramref name="options"/>' connectivity and expansion_add and is intact.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not an index, is stale (another item table or other build
    /// options) or is damaged; the message says which.</exception>
    /// <exception cref="USearchException">The native library refused the file.</exception>
    public static USearchCandidateScorer Load(string path, ItemEmbeddingTable table, USearchScorerOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(table);
        options ??= new USearchScorerOptions();
        options.Validate();
        var hash = USearchIndexFile.TableHash(table);
        var expected = new USearchIndexFile.Header(table.ItemCount, table.Dimension, options.Connectivity, options.ExpansionAdd, hash, 0, default);
        var (header, payload) = USearchIndexFile.Read(path, expected);
        UsearchIndexHandle? index = null;
        try
        {
            index = UsearchIndexHandle.Create(table.Dimension, options.Connectivity, options.ExpansionAdd, options.ExpansionSearch);
            NativeMethods.LoadBuffer(index, (void*)payload, (nuint)header.PayloadLength, out var error);
            NativeMethods.Check(error, $"load {path}");
            var size = NativeMethods.Size(index, out error);
            NativeMethods.Check(error, "read the index size");
            var dimensions = NativeMethods.Dimensions(index, out error);
            NativeMethods.Check(error, "read the index dimension");
            if (size != (nuint)table.ItemCount || dimensions != (nuint)table.Dimension)
                throw new InvalidDataException($"{path} holds {size} items of d = {dimensions}; its header and the model say {table.ItemCount} items of d = {table.Dimension}: the file is damaged.");
            var scorer = new USearchCandidateScorer(index, table, options, hash, USearchIndexOrigin.Loaded);
            index = null;
            return scorer;
        }
        finally
        {
            index?.Dispose();
            NativeMemory.Free((void*)payload);
        }
    }

    /// <summary>Loads the index at <paramref name="path"/> when it matches <paramref name="table"/> and the options; else
    /// (no file, stale or damaged) builds the graph and saves it there. A folder that cannot be written only costs the
    /// save (logged): the built graph is still used.</summary>
    /// <exception cref="USearchException">The native library failed to build.</exception>
    public static USearchCandidateScorer OpenOrBuild(string path, ItemEmbeddingTable table, USearchScorerOptions? options = null, ILogger? logger = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(table);
        if (File.Exists(path))
        {
            try
            {
                var loaded = Load(path, table, options);
                logger?.LogInformation("Loaded the USearch index {Path} ({Items} items).", path, table.ItemCount);
                return loaded;
            }
            catch (Exception e) when (e is InvalidDataException or USearchException)
            {
                logger?.LogWarning("Rebuilding the USearch index: {Reason}", e.Message);
            }
        }

        var watch = Stopwatch.StartNew();
        var scorer = Build(table, options, null, cancellationToken);
        logger?.LogInformation("Built the USearch index over {Items} items in {Seconds:F1} s.", table.ItemCount, watch.Elapsed.TotalSeconds);
        try
        {
            scorer.Save(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger?.LogWarning("Could not save the USearch index to {Path} ({Reason}); serving the graph built in memory.", path, e.Message);
        }

        return scorer;
    }

    /// <summary>Writes the index to <paramref name="path"/> atomically (a temporary file beside it, flushed, then
    /// renamed over it), with a header that ties it to this item table and these build options.</summary>
    /// <exception cref="USearchException">The native library failed to serialize the graph.</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var length = NativeMethods.SerializedLength(_index, out var error);
        NativeMethods.Check(error, "measure the serialized index");
        var payload = (byte*)NativeMemory.Alloc(Math.Max(1, length));
        try
        {
            NativeMethods.SaveBuffer(_index, payload, length, out error);
            NativeMethods.Check(error, "serialize the index");
            var hash = new XxHash128();
            for (nuint at = 0; at < length; at += 1 << 26)
                hash.Append(new ReadOnlySpan<byte>(payload + at, (int)Math.Min(1 << 26, length - at)));
            var header = new USearchIndexFile.Header(ItemCount, Dimension, _options.Connectivity, _options.ExpansionAdd, _tableHash, (long)length,
                hash.GetCurrentHashAsUInt128());
            USearchIndexFile.Write(path, header, payload);
        }
        finally
        {
            NativeMemory.Free(payload);
        }
    }

    /// <inheritdoc />
    public CandidateResult Retrieve(CandidateQuery query, int topN, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(topN);
        ObjectDisposedException.ThrowIf(_index.IsClosed, this);
        if (query.Dimension != Dimension)
            throw new ArgumentException($"The query's interests have d = {query.Dimension}; the gallery has d = {Dimension}.", nameof(query));
        int b = query.UserCount, k = query.InterestCount;
        var fetch = Math.Min(Math.Max(topN, _options.ExpansionSearch), ItemCount);
        var keys = new ulong[(long)b * k * fetch];   // [B, K, fetch]
        var found = new int[b * k];                  // [B, K]
        var excluded = Excluded(query.Exclude);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.Threads, CancellationToken = cancellationToken };
        if (fetch == ItemCount)
        {
            // The search would have to return the whole gallery, which a graph walk does not promise (an item can be
            // unreachable from the entry point): every item is a candidate instead, so small galleries are exact.
            Parallel.For(0, b, parallel, user => found[user * k] = AllItems(excluded?[user], keys.AsSpan(user * k * fetch, fetch)));
        }
        else
        {
            Parallel.For(0, b * k, parallel, row =>
                found[row] = Search(query.Interests.Span.Slice(row * Dimension, Dimension), excluded?[row / k], keys.AsSpan(row * fetch, fetch), cancellationToken));
        }

        var items = new int[b * topN];
        var scores = new float[b * topN];
        var interests = new int[b * topN];
        Parallel.For(0, b, parallel, user =>
            Merge(query, user, keys, found, fetch, items.AsSpan(user * topN, topN), scores.AsSpan(user * topN, topN), interests.AsSpan(user * topN, topN)));
        return new CandidateResult(b, topN, items, scores, interests);
    }

    /// <summary>Frees the native graph (after any call in progress returns).</summary>
    public void Dispose()
    {
        _index.Dispose();
        _contexts.Dispose();
    }

    /// <summary>Each user's excluded items, sorted and distinct (null entries for users with none); null when the
    /// query excludes nothing.</summary>
    private static int[]?[]? Excluded(Data.HistoryBatch? exclude)
    {
        if (exclude is not { } e) return null;
        var sorted = new int[]?[e.Count];
        for (var user = 0; user < e.Count; user++)
        {
            var history = e[user];
            if (history.IsEmpty) continue;
            var copy = history.ToArray();
            Array.Sort(copy);
            sorted[user] = copy;
        }

        return sorted;
    }

    /// <summary>Every item not in the sorted <paramref name="excluded"/> list, into <paramref name="keys"/>; returns how
    /// many.</summary>
    private int AllItems(int[]? excluded, Span<ulong> keys)
    {
        var count = 0;
        for (var item = 1; item <= ItemCount; item++)
        {
            if (excluded is null || Array.BinarySearch(excluded, item) < 0)
                keys[count++] = (ulong)item;
        }

        return count;
    }

    /// <summary>One interest's graph search into <paramref name="keys"/>; returns how many were found.</summary>
    private int Search(ReadOnlySpan<float> interest, int[]? excluded, Span<ulong> keys, CancellationToken cancellationToken)
    {
        // The distances are 1 − ⟨u, e⟩ in float: the merge re-scores exactly instead of using them.
        var distances = new float[keys.Length];
        _contexts.Wait(cancellationToken);
        try
        {
            nuint count;
            IntPtr error;
            fixed (float* u = interest)
            fixed (ulong* k = keys)
            fixed (float* d = distances)
            {
                if (excluded is null)
                {
                    count = NativeMethods.Search(_index, u, NativeMethods.ScalarFloat32, (nuint)keys.Length, k, d, out error);
                }
                else
                {
                    fixed (int* items = excluded)
                    {
                        var state = new Exclusion { Items = items, Count = excluded.Length };
                        count = NativeMethods.FilteredSearch(_index, u, NativeMethods.ScalarFloat32, (nuint)keys.Length, &Keep, &state, k, d, out error);
                    }
                }
            }

            NativeMethods.Check(error, "search the index");
            return (int)Math.Min(count, (nuint)keys.Length);
        }
        finally
        {
            _contexts.Release();
        }
    }

    /// <summary>The filter of a search: keeps items not in the user's sorted exclusion list.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Keep(ulong key, void* state)
    {
        var exclusion = (Exclusion*)state;
        return key > int.MaxValue || new ReadOnlySpan<int>(exclusion->Items, exclusion->Count).BinarySearch((int)key) < 0 ? 1 : 0;
    }

    /// <summary>Re-scores one user's candidates exactly (max over its K interests, the lowest interest winning ties) and
    /// writes its top N by score, then by lower item id; unfilled slots hold item 0, −∞, interest −1.</summary>
    private void Merge(CandidateQuery query, int user, ulong[] keys, int[] found, int fetch, Span<int> items, Span<float> scores, Span<int> interests)
    {
        int k = query.InterestCount, d = Dimension;
        var candidates = new HashSet<int>();
        for (var i = 0; i < k; i++)
        {
            var row = user * k + i;
            foreach (var key in keys.AsSpan(row * fetch, found[row]))
            {
                if (key == 0 || key > (ulong)ItemCount)
                    throw new USearchException($"USearch returned item {key}; the gallery's ids are 1..{ItemCount}: the index is damaged.");
                candidates.Add((int)key);
            }
        }

        var ranked = new (float Score, int Item, int Interest)[candidates.Count];
        var n = 0;
        var u = query.Interests.Span.Slice(user * k * d, k * d);   // [K, d]
        foreach (var item in candidates)
        {
            var e = _table[item];
            var best = Dot(u[..d], e);
            var winner = 0;
            for (var i = 1; i < k; i++)
            {
                var s = Dot(u.Slice(i * d, d), e);
                if (s > best)
                {
                    best = s;
                    winner = i;
                }
            }

            if (best >= float.MinValue) ranked[n++] = (best, item, winner);   // drops −∞ and NaN
        }

        var kept = ranked.AsSpan(0, n);
        kept.Sort(static (x, y) => x.Score != y.Score ? y.Score.CompareTo(x.Score) : x.Item.CompareTo(y.Item));
        for (var slot = 0; slot < items.Length; slot++)
        {
            if (slot < kept.Length)
                (scores[slot], items[slot], interests[slot]) = kept[slot];
            else
                (scores[slot], items[slot], interests[slot]) = (float.NegativeInfinity, 0, -1);
        }
    }

    /// <summary>⟨a, b⟩ in float.</summary>
    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = Vector<float>.Zero;
        var x = 0;
        for (; x <= a.Length - Vector<float>.Count; x += Vector<float>.Count)
            sum += new Vector<float>(a.Slice(x)) * new Vector<float>(b.Slice(x));
        var total = Vector.Dot(sum, Vector<float>.One);
        for (; x < a.Length; x++) total += a[x] * b[x];
        return total;
    }

    /// <summary>The filter's state: one user's sorted excluded items.</summary>
    private struct Exclusion
    {
        public int* Items;
        public int Count;
    }
}
