using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Re4.Recommenders.Data;

namespace Re4.Recommenders.Scoring;

/// <summary>
/// Exact retrieval on managed memory with no native dependency: a register-blocked FMA kernel (AVX-512, else AVX2+FMA,
/// else scalar) scores tiles of 8 query vectors × 32 items, the max over interests and a threshold check run on the
/// tile while it is hot, and only the rare items that beat a user's current N-th best reach its top-N heap.
/// </summary>
/// <remarks>
/// <para>Every score is the same sequence of fused multiply-adds in dimension order,
/// s<sub>0</sub> = 0, s<sub>x+1</sub> = fma(u<sub>x</sub>, e<sub>x</sub>, s<sub>x</sub>), whatever the kernel, the
/// tiling or the number of threads: results are bit-for-bit reproducible across machines and runs.</para>
/// <para>The scorer keeps a packed copy of the gallery made at construction ((N rounded up to 32)·d floats, blocks of
/// 16 items stored dimension-major so one 512-bit load holds one dimension of 16 items) and does not reference the
/// source table afterwards. A query's extra memory is O(B·K·d) for the packed queries plus O(B·R·N) for the heaps,
/// where R, the number of item ranges searched in parallel, is at most 4·threads; it never depends on the gallery size.</para>
/// <para>Thread-safe: the scorer only reads its packed gallery; concurrent <see cref="Retrieve"/> calls are allowed.</para>
/// </remarks>
public sealed class ManagedCandidateScorer : ICandidateScorer
{
    /// <summary>Items per packed block: one 512-bit vector of floats.</summary>
    internal const int BlockItems = 16;

    /// <summary>Items per micro-tile: two blocks, so the AVX-512 kernel holds 8 rows × 2 blocks = 16 accumulators.</summary>
    internal const int TileItems = 2 * BlockItems;

    /// <summary>Query rows per micro-tile.</summary>
    internal const int TileRows = 8;

    /// <summary>How many tiles ahead the AVX-512 path prefetches the gallery.</summary>
    private const int PrefetchTiles = 2;

    /// <summary>Target query rows per group: 512 rows × d = 64 is 128 KiB of packed queries, which stay in the per-core
    /// L2 cache while the gallery streams past. More rows per group means fewer passes over the gallery from memory;
    /// fewer rows means more groups to spread over threads.</summary>
    private const int GroupRows = 512;

    /// <summary>No item range shorter than this many tiles (2,048 items) is split off for parallelism: below it the
    /// per-range heaps and merge cost more than the work they spread.</summary>
    private const int MinTilesPerRange = 64;

    private readonly float[] _packed;   // pinned; [tiles, 2 blocks, d, 16] starting at _offset (64-byte aligned)
    private readonly int _offset;
    private readonly int _tiles;
    private readonly int _maxDegreeOfParallelism;
    private readonly ScoringKernel _kernel;

    /// <summary>Creates a scorer over <paramref name="table"/> using all cores.</summary>
    public ManagedCandidateScorer(ItemEmbeddingTable table)
        : this(table, Environment.ProcessorCount)
    {
    }

    /// <summary>Creates a scorer with a bound on the threads one query uses.</summary>
    public ManagedCandidateScorer(ItemEmbeddingTable table, int maxDegreeOfParallelism)
        : this(table, maxDegreeOfParallelism, ScoringKernel.Auto)
    {
    }

    /// <summary>Creates a scorer with a given kernel (tests force each kernel the machine supports).</summary>
    internal ManagedCandidateScorer(ItemEmbeddingTable table, int maxDegreeOfParallelism, ScoringKernel kernel)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxDegreeOfParallelism);
        _kernel = kernel == ScoringKernel.Auto ? BestKernel() : kernel;
        if (!IsSupported(_kernel)) throw new PlatformNotSupportedException($"The {_kernel} kernel needs instructions this machine lacks.");
        ItemCount = table.ItemCount;
        Dimension = table.Dimension;
        _maxDegreeOfParallelism = maxDegreeOfParallelism;
        _tiles = (ItemCount + TileItems - 1) / TileItems;
        (_packed, _offset) = Pack(table, _tiles, maxDegreeOfParallelism);
    }

    /// <inheritdoc />
    public int ItemCount { get; }

    /// <inheritdoc />
    public int Dimension { get; }

    /// <summary>The kernel this scorer runs.</summary>
    internal ScoringKernel Kernel => _kernel;

    /// <summary>The fastest kernel this machine runs.</summary>
    internal static ScoringKernel BestKernel() =>
        IsSupported(ScoringKernel.Avx512) ? ScoringKernel.Avx512 : IsSupported(ScoringKernel.Avx2) ? ScoringKernel.Avx2 : ScoringKernel.Scalar;

    /// <summary>Whether this machine runs <paramref name="kernel"/>.</summary>
    internal static bool IsSupported(ScoringKernel kernel) => kernel switch
    {
        ScoringKernel.Avx512 => Avx512F.IsSupported && Vector512.IsHardwareAccelerated,
        ScoringKernel.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        ScoringKernel.Scalar => true,
        _ => false,
    };

    /// <inheritdoc />
    public CandidateResult Retrieve(CandidateQuery query, int topN, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(topN);
        if (query.Dimension != Dimension)
            throw new ArgumentException($"The query's interests have d = {query.Dimension}; the gallery has d = {Dimension}.", nameof(query));
        var plan = new Plan(query, topN, _tiles, _maxDegreeOfParallelism);
        var packedQueries = PackQueries(query, plan);
        var heaps = new TopNCollector[plan.Tasks][];
        var options = new ParallelOptions { MaxDegreeOfParallelism = _maxDegreeOfParallelism, CancellationToken = cancellationToken };
        Parallel.For(0, plan.Tasks, options, task => heaps[task] = Search(query, plan, packedQueries, task, cancellationToken));

        // Merge each user's heaps from the item ranges (order-independent: the heap's tie-break is total).
        int b = query.UserCount;
        var items = new int[b * topN];
        var scores = new float[b * topN];
        var interests = new int[b * topN];
        for (var user = 0; user < b; user++)
        {
            var group = user / plan.GroupUsers;
            var local = user % plan.GroupUsers;
            var into = heaps[group * plan.Ranges][local];
            for (var r = 1; r < plan.Ranges; r++) into.OfferAll(heaps[group * plan.Ranges + r][local]);
            into.Drain(items.AsSpan(user * topN, topN), scores.AsSpan(user * topN, topN), interests.AsSpan(user * topN, topN));
        }

        return new CandidateResult(b, topN, items, scores, interests);
    }

    /// <summary>How one query is cut into work: users into groups of whole units, the gallery into item ranges; a task
    /// is one (group, range) pair.</summary>
    private readonly struct Plan
    {
        public Plan(CandidateQuery query, int topN, int tiles, int threads)
        {
            int k = query.InterestCount;
            TopN = topN;
            // Rows per user: K rounded up to a divisor of 8 (1, 2, 4, 8) or a multiple of 8, so a unit of 8 or more
            // rows holds whole users.
            RowsPerUser = k <= TileRows ? (int)BitOperations.RoundUpToPowerOf2((uint)k) : (k + TileRows - 1) / TileRows * TileRows;
            UnitRows = Math.Max(TileRows, RowsPerUser);
            UsersPerUnit = UnitRows / RowsPerUser;
            GroupUsers = UsersPerUnit * Math.Max(1, GroupRows / UnitRows);
            Groups = (query.UserCount + GroupUsers - 1) / GroupUsers;
            // Split the gallery only when there are too few groups to keep every thread busy (with slack for uneven
            // groups); each range is still streamed once per group, so the memory traffic does not grow.
            var wanted = (4 * threads + Groups - 1) / Groups;
            Ranges = threads == 1 ? 1 : Math.Clamp(wanted, 1, Math.Max(1, tiles / MinTilesPerRange));
            Tasks = Groups * Ranges;
        }

        public int TopN { get; }
        public int RowsPerUser { get; }
        public int UnitRows { get; }
        public int UsersPerUnit { get; }
        public int GroupUsers { get; }
        public int Groups { get; }
        public int Ranges { get; }
        public int Tasks { get; }
    }

    /// <summary>Packs each group's queries as row tiles <c>[tile, d, 8]</c> so the kernel broadcasts consecutive floats;
    /// row r of a group is user r / RowsPerUser, interest r % RowsPerUser (interest 0 again past K).</summary>
    private static float[] PackQueries(CandidateQuery query, Plan plan)
    {
        int k = query.InterestCount, d = query.Dimension;
        var groupFloats = plan.GroupUsers * plan.RowsPerUser * d;
        // Units are contiguous across groups (a group is a whole number of units), so only the units in use are
        // allocated: one user costs one 8-row unit, not a whole group.
        var packed = new float[(query.UserCount + plan.UsersPerUnit - 1) / plan.UsersPerUnit * plan.UnitRows * d];
        var source = query.Interests.Span;   // [B, K, d]
        for (var user = 0; user < query.UserCount; user++)
        {
            var groupBase = user / plan.GroupUsers * groupFloats;
            for (var i = 0; i < plan.RowsPerUser; i++)
            {
                // Rows past K repeat interest 0: the max over a user's rows stays its max over interests, and the
                // epilogue, which reads only the K real rows for the winner, still reports the lowest index.
                var row = user % plan.GroupUsers * plan.RowsPerUser + i;
                var at = groupBase + row / TileRows * TileRows * d + row % TileRows;
                var u = source.Slice((user * k + (i < k ? i : 0)) * d, d);
                for (var x = 0; x < d; x++) packed[at + x * TileRows] = u[x];
            }
        }

        return packed;
    }

    /// <summary>One task: the users of one group against one item range; returns one heap per user of the group.</summary>
    private unsafe TopNCollector[] Search(CandidateQuery query, Plan plan, float[] packedQueries, int task, CancellationToken cancellationToken)
    {
        int group = task / plan.Ranges, range = task % plan.Ranges, d = Dimension, k = query.InterestCount;
        var firstUser = group * plan.GroupUsers;
        var users = Math.Min(plan.GroupUsers, query.UserCount - firstUser);
        var heaps = new TopNCollector[users];
        for (var i = 0; i < users; i++) heaps[i] = new TopNCollector(plan.TopN);
        var units = (users + plan.UsersPerUnit - 1) / plan.UsersPerUnit;
        // One threshold per user slot of every unit (padding slots never pass: +∞): the N-th best score so far, or
        // the lowest finite float until the heap is full, so that −∞ and NaN scores never qualify.
        var thresholds = new float[units * plan.UsersPerUnit];
        Array.Fill(thresholds, float.PositiveInfinity);
        Array.Fill(thresholds, float.MinValue, 0, users);
        var tileBegin = (int)((long)_tiles * range / plan.Ranges);
        var tileEnd = (int)((long)_tiles * (range + 1) / plan.Ranges);
        var scores = new float[plan.UnitRows * TileItems];   // [unit rows, 32]
        var masks = new uint[TileRows];                      // per user of a unit: the items at or above its threshold
        var groupQueries = group * plan.GroupUsers * plan.RowsPerUser * d;
        // K ≤ 8 on AVX-512: the max over interests and the threshold test happen in registers inside the kernel; the
        // tile's scores are only re-read for the rare candidates.
        var fused = _kernel == ScoringKernel.Avx512 && plan.UnitRows == TileRows;
        fixed (float* packedBase = _packed)
        fixed (float* queryBase = packedQueries)
        fixed (float* scoreBase = scores)
        fixed (float* thresholdBase = thresholds)
        fixed (uint* maskBase = masks)
        {
            var gallery = packedBase + _offset;
            for (var tile = tileBegin; tile < tileEnd; tile++)
            {
                if ((tile - tileBegin) % 256 == 0) cancellationToken.ThrowIfCancellationRequested();
                // One 32-item tile (8 KiB at d = 64) stays in L1 while every unit of the group's queries (in L2)
                // passes over it, so each tile is read from memory once per group.
                var e = gallery + (long)tile * TileItems * d;
                var firstItem = 1 + tile * TileItems;
                for (var unit = 0; unit < units; unit++)
                {
                    var q = queryBase + groupQueries + unit * plan.UnitRows * d;
                    var firstLocal = unit * plan.UsersPerUnit;
                    if (fused)
                    {
                        // The first unit prefetches the tile after next: hardware prefetchers stop at 4 KiB page
                        // boundaries, and each 16-item block is one 4 KiB stream at d = 64.
                        var ahead = unit == 0 && tile + PrefetchTiles < tileEnd ? e + PrefetchTiles * TileItems * d : null;
                        ScoreTileAvx512(q, e, d, scoreBase, plan.RowsPerUser, thresholdBase + firstLocal, maskBase, ahead);
                    }
                    else
                    {
                        for (var sub = 0; sub < plan.UnitRows; sub += TileRows)
                            ScoreTile(q + sub * d, e, d, scoreBase + sub * TileItems);
                        CandidateMasks(scoreBase, k, plan, thresholdBase + firstLocal, maskBase);
                    }

                    var unitUsers = Math.Min(plan.UsersPerUnit, users - firstLocal);
                    for (var u = 0; u < unitUsers; u++)
                    {
                        if (maskBase[u] == 0) continue;
                        var local = firstLocal + u;
                        Collect(scoreBase + u * plan.RowsPerUser * TileItems, k, maskBase[u], firstItem, firstUser + local, query.Exclude,
                            heaps[local], ref thresholds[local]);
                    }
                }
            }
        }

        return heaps;
    }

    /// <summary>The generic epilogue test: per user of the unit, the items whose max over its K rows of
    /// <paramref name="rows"/> (<c>[unit rows, 32]</c>) reaches the user's threshold.</summary>
    private static unsafe void CandidateMasks(float* rows, int k, Plan plan, float* thresholds, uint* masks)
    {
        for (var u = 0; u < plan.UsersPerUnit; u++)
        {
            var r0 = rows + u * plan.RowsPerUser * TileItems;
            var threshold = thresholds[u];
            uint candidates;
            if (Vector256.IsHardwareAccelerated)
            {
                // Four 8-lane quarters of the 32 items; max over interests, then one compare against the threshold.
                var m0 = Vector256.Load(r0);
                var m1 = Vector256.Load(r0 + 8);
                var m2 = Vector256.Load(r0 + 16);
                var m3 = Vector256.Load(r0 + 24);
                for (var i = 1; i < k; i++)
                {
                    var r = r0 + i * TileItems;
                    m0 = Vector256.Max(m0, Vector256.Load(r));
                    m1 = Vector256.Max(m1, Vector256.Load(r + 8));
                    m2 = Vector256.Max(m2, Vector256.Load(r + 16));
                    m3 = Vector256.Max(m3, Vector256.Load(r + 24));
                }

                var t = Vector256.Create(threshold);
                candidates = Vector256.GreaterThanOrEqual(m0, t).ExtractMostSignificantBits()
                             | Vector256.GreaterThanOrEqual(m1, t).ExtractMostSignificantBits() << 8
                             | Vector256.GreaterThanOrEqual(m2, t).ExtractMostSignificantBits() << 16
                             | Vector256.GreaterThanOrEqual(m3, t).ExtractMostSignificantBits() << 24;
            }
            else
            {
                candidates = 0;
                for (var lane = 0; lane < TileItems; lane++)
                {
                    for (var i = 0; i < k; i++)
                    {
                        if (r0[i * TileItems + lane] >= threshold)
                        {
                            candidates |= 1u << lane;
                            break;
                        }
                    }
                }
            }

            masks[u] = candidates;
        }
    }

    /// <summary>Offers one user's candidate items of a tile (<paramref name="candidates"/>, a bit per lane) to its heap:
    /// the score is the max over its K rows of <paramref name="rows"/> (<c>[K, 32]</c>), the interest the lowest one
    /// reaching it.</summary>
    private unsafe void Collect(float* rows, int k, uint candidates, int firstItem, int user, HistoryBatch? exclude, TopNCollector heap, ref float threshold)
    {
        while (candidates != 0)
        {
            var lane = BitOperations.TrailingZeroCount(candidates);
            candidates &= candidates - 1;
            var item = firstItem + lane;
            if (item > ItemCount) break;   // the last tile's padding lanes
            var best = rows[lane];
            var winner = 0;
            for (var i = 1; i < k; i++)
            {
                var s = rows[i * TileItems + lane];
                if (s > best)
                {
                    best = s;
                    winner = i;
                }
            }

            // The threshold may have risen since the vector check, and -inf/NaN scores are never candidates.
            if (!(best >= threshold)) continue;
            if (exclude is { } e && e[user].Contains(item)) continue;
            heap.Offer(best, item, winner);
            if (heap.IsFull) threshold = Math.Max(heap.Threshold, float.MinValue);
        }
    }

    /// <summary>Scores 8 query rows (<c>[d, 8]</c>) against 32 items (<c>[2, d, 16]</c>) into <c>[8, 32]</c>.</summary>
    private unsafe void ScoreTile(float* q, float* e, int d, float* scores)
    {
        switch (_kernel)
        {
            case ScoringKernel.Avx512: ScoreTileAvx512(q, e, d, scores, 0, null, null, null); break;
            case ScoringKernel.Avx2:
                // 16 ymm registers hold 4 rows × 2 vectors of 8 items: four passes over the (L1-resident) tile.
                for (var rows = 0; rows < TileRows; rows += 4)
                {
                    for (var block = 0; block < 2; block++)
                        ScoreQuarterAvx2(q + rows, e + block * BlockItems * d, d, scores + rows * TileItems + block * BlockItems);
                }

                break;
            default: ScoreTileScalar(q, e, d, scores); break;
        }
    }

    /// <summary>The AVX-512 kernel: 8 query rows (<c>[d, 8]</c>) × 32 items (<c>[2, d, 16]</c>) into <c>[8, 32]</c>.
    /// With <paramref name="rowsPerUser"/> ≤ 8 it also writes each user's candidate mask (max over its rows ≥ its
    /// threshold) from registers; pass 0 to only store the scores.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ScoreTileAvx512(float* q, float* e, int d, float* scores, int rowsPerUser, float* thresholds, uint* masks, float* prefetch)
    {
        // 16 accumulators [row][block] stay in zmm registers for the whole dimension loop; per dimension: two loads
        // (one dimension of 16 items each), eight broadcasts, sixteen FMAs.
        Vector512<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
        Vector512<float> a40 = default, a41 = default, a50 = default, a51 = default, a60 = default, a61 = default, a70 = default, a71 = default;
        var e1 = e + BlockItems * d;
        for (var x = 0; x < d; x++)
        {
            if (prefetch != null)
            {
                // One cache line of each block of a later tile per dimension: the whole tile by the loop's end.
                Sse.Prefetch0(prefetch + x * BlockItems);
                Sse.Prefetch0(prefetch + (BlockItems * d) + x * BlockItems);
            }

            var v0 = Vector512.Load(e + x * BlockItems);
            var v1 = Vector512.Load(e1 + x * BlockItems);
            var qx = q + x * TileRows;
            var b = Vector512.Create(qx[0]);
            a00 = Avx512F.FusedMultiplyAdd(b, v0, a00);
            a01 = Avx512F.FusedMultiplyAdd(b, v1, a01);
            b = Vector512.Create(qx[1]);
            a10 = Avx512F.FusedMultiplyAdd(b, v0, a10);
            a11 = Avx512F.FusedMultiplyAdd(b, v1, a11);
            b = Vector512.Create(qx[2]);
            a20 = Avx512F.FusedMultiplyAdd(b, v0, a20);
            a21 = Avx512F.FusedMultiplyAdd(b, v1, a21);
            b = Vector512.Create(qx[3]);
            a30 = Avx512F.FusedMultiplyAdd(b, v0, a30);
            a31 = Avx512F.FusedMultiplyAdd(b, v1, a31);
            b = Vector512.Create(qx[4]);
            a40 = Avx512F.FusedMultiplyAdd(b, v0, a40);
            a41 = Avx512F.FusedMultiplyAdd(b, v1, a41);
            b = Vector512.Create(qx[5]);
            a50 = Avx512F.FusedMultiplyAdd(b, v0, a50);
            a51 = Avx512F.FusedMultiplyAdd(b, v1, a51);
            b = Vector512.Create(qx[6]);
            a60 = Avx512F.FusedMultiplyAdd(b, v0, a60);
            a61 = Avx512F.FusedMultiplyAdd(b, v1, a61);
            b = Vector512.Create(qx[7]);
            a70 = Avx512F.FusedMultiplyAdd(b, v0, a70);
            a71 = Avx512F.FusedMultiplyAdd(b, v1, a71);
        }

        a00.Store(scores);
        a01.Store(scores + 16);
        a10.Store(scores + 32);
        a11.Store(scores + 48);
        a20.Store(scores + 64);
        a21.Store(scores + 80);
        a30.Store(scores + 96);
        a31.Store(scores + 112);
        a40.Store(scores + 128);
        a41.Store(scores + 144);
        a50.Store(scores + 160);
        a51.Store(scores + 176);
        a60.Store(scores + 192);
        a61.Store(scores + 208);
        a70.Store(scores + 224);
        a71.Store(scores + 240);

        // Padding rows repeat interest 0, so the max over a user's rows is its max over interests.
        switch (rowsPerUser)
        {
            case 1:
                masks[0] = Mask(a00, a01, thresholds[0]);
                masks[1] = Mask(a10, a11, thresholds[1]);
                masks[2] = Mask(a20, a21, thresholds[2]);
                masks[3] = Mask(a30, a31, thresholds[3]);
                masks[4] = Mask(a40, a41, thresholds[4]);
                masks[5] = Mask(a50, a51, thresholds[5]);
                masks[6] = Mask(a60, a61, thresholds[6]);
                masks[7] = Mask(a70, a71, thresholds[7]);
                break;
            case 2:
                masks[0] = Mask(Vector512.Max(a00, a10), Vector512.Max(a01, a11), thresholds[0]);
                masks[1] = Mask(Vector512.Max(a20, a30), Vector512.Max(a21, a31), thresholds[1]);
                masks[2] = Mask(Vector512.Max(a40, a50), Vector512.Max(a41, a51), thresholds[2]);
                masks[3] = Mask(Vector512.Max(a60, a70), Vector512.Max(a61, a71), thresholds[3]);
                break;
            case 4:
                masks[0] = Mask(Vector512.Max(Vector512.Max(a00, a10), Vector512.Max(a20, a30)),
                    Vector512.Max(Vector512.Max(a01, a11), Vector512.Max(a21, a31)), thresholds[0]);
                masks[1] = Mask(Vector512.Max(Vector512.Max(a40, a50), Vector512.Max(a60, a70)),
                    Vector512.Max(Vector512.Max(a41, a51), Vector512.Max(a61, a71)), thresholds[1]);
                break;
            case 8:
                masks[0] = Mask(Vector512.Max(Vector512.Max(Vector512.Max(a00, a10), Vector512.Max(a20, a30)), Vector512.Max(Vector512.Max(a40, a50), Vector512.Max(a60, a70))),
                    Vector512.Max(Vector512.Max(Vector512.Max(a01, a11), Vector512.Max(a21, a31)), Vector512.Max(Vector512.Max(a41, a51), Vector512.Max(a61, a71))), thresholds[0]);
                break;
        }
    }

    /// <summary>Bit i set when lane i of [low | high] is at or above <paramref name="threshold"/> (false for NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Mask(Vector512<float> low, Vector512<float> high, float threshold)
    {
        var t = Vector512.Create(threshold);
        return (uint)(Vector512.GreaterThanOrEqual(low, t).ExtractMostSignificantBits() | Vector512.GreaterThanOrEqual(high, t).ExtractMostSignificantBits() << 16);
    }

    /// <summary>4 rows (of the 8-row tile layout) × one 16-item block, as two 8-wide halves: 8 ymm accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ScoreQuarterAvx2(float* q, float* e, int d, float* scores)
    {
        Vector256<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
        for (var x = 0; x < d; x++)
        {
            var v0 = Vector256.Load(e + x * BlockItems);
            var v1 = Vector256.Load(e + x * BlockItems + 8);
            var qx = q + x * TileRows;
            var b = Vector256.Create(qx[0]);
            a00 = Fma.MultiplyAdd(b, v0, a00);
            a01 = Fma.MultiplyAdd(b, v1, a01);
            b = Vector256.Create(qx[1]);
            a10 = Fma.MultiplyAdd(b, v0, a10);
            a11 = Fma.MultiplyAdd(b, v1, a11);
            b = Vector256.Create(qx[2]);
            a20 = Fma.MultiplyAdd(b, v0, a20);
            a21 = Fma.MultiplyAdd(b, v1, a21);
            b = Vector256.Create(qx[3]);
            a30 = Fma.MultiplyAdd(b, v0, a30);
            a31 = Fma.MultiplyAdd(b, v1, a31);
        }

        a00.Store(scores);
        a01.Store(scores + 8);
        a10.Store(scores + TileItems);
        a11.Store(scores + TileItems + 8);
        a20.Store(scores + 2 * TileItems);
        a21.Store(scores + 2 * TileItems + 8);
        a30.Store(scores + 3 * TileItems);
        a31.Store(scores + 3 * TileItems + 8);
    }

    private static unsafe void ScoreTileScalar(float* q, float* e, int d, float* scores)
    {
        // MathF.FusedMultiplyAdd rounds once, like the vector kernels (in software where the CPU lacks FMA).
        for (var row = 0; row < TileRows; row++)
        {
            for (var lane = 0; lane < TileItems; lane++)
            {
                var block = e + lane / BlockItems * BlockItems * d + lane % BlockItems;
                var s = 0f;
                for (var x = 0; x < d; x++) s = MathF.FusedMultiplyAdd(q[x * TileRows + row], block[x * BlockItems], s);
                scores[row * TileItems + lane] = s;
            }
        }
    }

    /// <summary>Copies items 1..N into pinned <c>[tiles, 2, d, 16]</c> blocks (zero past N) at a 64-byte-aligned
    /// offset, so every kernel load is one aligned cache line.</summary>
    private static unsafe (float[] Packed, int Offset) Pack(ItemEmbeddingTable table, int tiles, int threads)
    {
        int d = table.Dimension, n = table.ItemCount;
        const int align = 64 / sizeof(float);
        var packed = GC.AllocateArray<float>(checked(tiles * TileItems * d + align), pinned: true);
        int offset;
        fixed (float* p = packed) offset = (int)((64 - ((nint)p & 63)) & 63) / sizeof(float);
        var blocks = tiles * 2;
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = threads }, block =>
        {
            var dest = packed.AsSpan(offset + block * BlockItems * d, BlockItems * d);   // [d, 16]
            var first = 1 + block * BlockItems;
            for (var lane = 0; lane < BlockItems && first + lane <= n; lane++)
            {
                var row = table[first + lane];
                for (var x = 0; x < d; x++) dest[x * BlockItems + lane] = row[x];
            }
        });
        return (packed, offset);
    }
}

/// <summary>The instruction set of <see cref="ManagedCandidateScorer"/>'s kernel; every kernel gives identical scores.</summary>
internal enum ScoringKernel
{
    /// <summary>The fastest this machine runs.</summary>
    Auto,

    /// <summary>512-bit FMA: 8 rows × 32 items per tile.</summary>
    Avx512,

    /// <summary>256-bit FMA.</summary>
    Avx2,

    /// <summary>Scalar <see cref="MathF.FusedMultiplyAdd"/>.</summary>
    Scalar,
}
