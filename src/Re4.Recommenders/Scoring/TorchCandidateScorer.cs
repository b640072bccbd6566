using Re4.Recommenders.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Scoring;

/// <summary>
/// Exact retrieval with libtorch on a chosen device (CPU by default; CUDA when the app references a CUDA backend):
/// batches of users × K interests are multiplied with chunks of the item table, the max over interests is taken per
/// item, and each chunk's top N is merged into a running top N, so memory is O(batch·K·chunk), never O(B·K·items).
/// </summary>
/// <remarks>
/// <para>Ties are broken exactly as the contract says, by construction rather than by relying on a particular
/// <c>topk</c>: a chunk's N-th best value is found first, then all items above it and the lowest-id items equal to it
/// are kept (in id order), and the merge with the running list is a stable sort in which earlier (lower-id) chunks come
/// first. The winning interest is the lowest index whose score equals the max.</para>
/// <para>Scores come from the device's matrix product, whose summation order is the library's own (and on CUDA never
/// TF32: libtorch's default for fp32 matmul is full precision). They agree with <see cref="ManagedCandidateScorer"/>
/// bit for bit whenever every dot product is exact in float (e.g. small integers or multiples of 1/8), and to rounding
/// otherwise. Items whose score is −∞ or NaN are never returned.</para>
/// <para>Thread-safe: the scorer only reads its item tensor; every call works on its own tensors.</para>
/// <para>The scorer owns a copy of the item table on its device, outside every dispose scope: whoever creates the
/// scorer disposes it (a <see cref="Models.MultiInterestRecommender"/> disposes the scorer it creates).</para>
/// </remarks>
public sealed class TorchCandidateScorer : ICandidateScorer, IDisposable
{
    private readonly Tensor _items;   // [N, d] on the device: rows 1..N of the table (the padding row dropped)
    private readonly int _userBatch;
    private readonly int _itemChunk;

    /// <summary>Creates a scorer over a managed table, copied to <paramref name="device"/> (CPU when null).</summary>
    /// <param name="table">The gallery.</param>
    /// <param name="device">Where to score; CUDA needs a CUDA backend in the app.</param>
    /// <param name="userBatchSize">Users scored together; with <paramref name="itemChunkSize"/> it bounds the working
    /// memory to about 8·userBatch·K·chunk bytes on the device.</param>
    /// <param name="itemChunkSize">Items per step of the running merge.</param>
    public TorchCandidateScorer(ItemEmbeddingTable table, Device? device = null, int userBatchSize = 256, int itemChunkSize = 16384)
    {
        ArgumentNullException.ThrowIfNull(table);
        OptionChecks.Positive(userBatchSize, nameof(userBatchSize));
        OptionChecks.Positive(itemChunkSize, nameof(itemChunkSize));
        ItemCount = table.ItemCount;
        Dimension = table.Dimension;
        _userBatch = userBatchSize;
        _itemChunk = itemChunkSize;
        var rows = table.Rows(1, ItemCount).ToArray();
        // The copy belongs to the scorer, not to whatever dispose scope the caller is in (which would free it under us).
        _items = tensor(rows, [ItemCount, Dimension], device: device ?? CPU).DetachFromDisposeScope();   // [N, d]
    }

    /// <summary>Creates a scorer over a <c>[N + 1, d]</c> float tensor (row 0 padding), copied on its own device.</summary>
    /// <param name="itemTable">The item table, e.g. a model's embedding weight; it is detached and copied.</param>
    /// <param name="userBatchSize">Users scored together.</param>
    /// <param name="itemChunkSize">Items per step of the running merge.</param>
    public TorchCandidateScorer(Tensor itemTable, int userBatchSize = 256, int itemChunkSize = 16384)
    {
        ArgumentNullException.ThrowIfNull(itemTable);
        OptionChecks.Positive(userBatchSize, nameof(userBatchSize));
        OptionChecks.Positive(itemChunkSize, nameof(itemChunkSize));
        if (itemTable.dim() != 2 || itemTable.shape[0] < 2 || itemTable.shape[1] < 1 || itemTable.dtype != ScalarType.Float32)
            throw new ArgumentException($"itemTable must be a float32 [N + 1, d] tensor with N ≥ 1; it is {itemTable.dtype} [{string.Join(", ", itemTable.shape)}].", nameof(itemTable));
        ItemCount = checked((int)itemTable.shape[0] - 1);
        Dimension = checked((int)itemTable.shape[1]);
        _userBatch = userBatchSize;
        _itemChunk = itemChunkSize;
        using var scope = NewDisposeScope();
        // Detached from every scope: moved to the caller's scope instead, the copy would die with it (a recommender
        // builds its scorer inside a scope) and the scorer would fail on first use.
        _items = itemTable.detach().narrow(0, 1, ItemCount).contiguous().clone().DetachFromDisposeScope();   // [N, d]
    }

    /// <inheritdoc />
    public int ItemCount { get; }

    /// <inheritdoc />
    public int Dimension { get; }

    /// <summary>The device the scorer computes on.</summary>
    public Device Device => _items.device;

    /// <inheritdoc />
    public CandidateResult Retrieve(CandidateQuery query, int topN, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(topN);
        ObjectDisposedException.ThrowIf(_items.IsInvalid, this);
        if (query.Dimension != Dimension)
            throw new ArgumentException($"The query's interests have d = {query.Dimension}; the gallery has d = {Dimension}.", nameof(query));
        int b = query.UserCount;
        var items = new int[b * topN];
        var scores = new float[b * topN];
        var interests = new int[b * topN];
        for (var first = 0; first < b; first += _userBatch)
        {
            var count = Math.Min(_userBatch, b - first);
            RetrieveBatch(query, first, count, topN, items.AsSpan(first * topN, count * topN), scores.AsSpan(first * topN, count * topN),
                interests.AsSpan(first * topN, count * topN), cancellationToken);
        }

        return new CandidateResult(b, topN, items, scores, interests);
    }

    /// <summary>Users [first, first + count): running top N over item chunks, written to the output spans.</summary>
    private void RetrieveBatch(CandidateQuery query, int first, int count, int topN, Span<int> items, Span<float> scores,
        Span<int> interests, CancellationToken cancellationToken)
    {
        int k = query.InterestCount, d = Dimension, n = ItemCount;
        var exclusions = Exclusions(query.Exclude, first, count);
        using var batchScope = NewDisposeScope();
        using var noGrad = no_grad();
        var device = _items.device;
        var u = tensor(query.Interests.Slice(first * k * d, count * k * d).ToArray(), [count * k, d], device: device);   // [b·K, d]
        // Interest indices, and K for "no interest reaches the max": the min over where(score == max, k, K) is the
        // lowest winning index. (Scalars here are all kept alive: TorchSharp frees temporary ones in a finalizer.)
        var interestIndex = tensor(Enumerable.Range(0, k).Select(i => (long)i).ToArray(), [1, k, 1], device: device);   // [1, K, 1]
        var noInterest = tensor(new long[] { k }, [1, 1, 1], device: device);                                             // [1, 1, 1]
        var bestScores = full(count, topN, TorchScalars.NegativeInfinity, dtype: ScalarType.Float32, device: device);     // [b, N]
        var bestItems = zeros(count, topN, dtype: ScalarType.Int64, device: device);                                      // [b, N]
        var bestInterests = full(count, topN, TorchScalars.MinusOne, dtype: ScalarType.Int64, device: device);            // [b, N]
        var nextExclusion = 0;
        for (var start = 0; start < n; start += _itemChunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var c = Math.Min(_itemChunk, n - start);
            using var step = NewDisposeScope();
            var s = u.mm(_items.narrow(0, start, c).t()).view(count, k, c);   // [b, K, c]
            var m = s.amax([1]);                                                   // [b, c]
            m.nan_to_num_(nan: double.NegativeInfinity, posinf: double.PositiveInfinity, neginf: double.NegativeInfinity);

            // History items of this chunk (item id = start + 1 + column) can never be retrieved.
            var end = nextExclusion;
            while (end < exclusions.Length && exclusions[end].Item <= start + c) end++;
            if (end > nextExclusion)
            {
                var flat = new long[end - nextExclusion];
                for (var i = nextExclusion; i < end; i++) flat[i - nextExclusion] = (long)exclusions[i].Row * c + (exclusions[i].Item - 1 - start);
                m.view(-1).index_fill_(0, tensor(flat, device: device), TorchScalars.NegativeInfinity);
                nextExclusion = end;
            }

            var columns = ChunkTop(m, Math.Min(topN, c));   // [b, take], ascending per row
            var values = m.gather(1, columns);                                     // [b, take]
            var take = columns.shape[1];
            var perInterest = s.gather(2, columns.unsqueeze(1).expand(count, k, take));   // [b, K, take]
            var winner = where(perInterest.eq(values.unsqueeze(1)), interestIndex, noInterest).amin([1]);   // [b, take]

            // Stable descending sort of [running | chunk]: equal scores keep running (lower ids) first, then column order.
            var allScores = cat([bestScores, values], 1);
            var (sorted, order) = allScores.sort(1, descending: true, stable: true);
            var head = order.narrow(1, 0, topN);
            var (previousScores, previousItems, previousInterests) = (bestScores, bestItems, bestInterests);
            using var firstId = ((long)start + 1).ToScalar();
            bestItems = cat([bestItems, columns.Plus(firstId)], 1).gather(1, head).MoveToOuterDisposeScope();
            bestInterests = cat([bestInterests, winner], 1).gather(1, head).MoveToOuterDisposeScope();
            bestScores = sorted.narrow(1, 0, topN).contiguous().MoveToOuterDisposeScope();
            // The previous running lists belong to the batch scope: free them now, not after the last chunk.
            previousScores.Dispose();
            previousItems.Dispose();
            previousInterests.Dispose();
        }

        // Slots still at −∞ are unfilled (or excluded / non-finite items): the contract's padding.
        var empty = bestScores.eq(TorchScalars.NegativeInfinity);
        bestItems.masked_fill_(empty, TorchScalars.Zero);
        bestInterests.masked_fill_(empty, TorchScalars.MinusOne);
        bestItems.to(ScalarType.Int32).cpu().data<int>().CopyTo(items);
        bestScores.cpu().data<float>().CopyTo(scores);
        bestInterests.to(ScalarType.Int32).cpu().data<int>().CopyTo(interests);
    }

    /// <summary>The columns of each row's <paramref name="take"/> best values of <paramref name="m"/> (<c>[b, c]</c>),
    /// ties at the cut going to the lowest columns, in ascending column order (<c>[b, take]</c>).</summary>
    private static Tensor ChunkTop(Tensor m, int take)
    {
        // topk returns the right values but may keep any of several items tied with the take-th value. When no row
        // has more items at or above that value than it keeps, its selection is the exact set (the common case).
        using var takeScalar = take.ToScalar();
        var (values, columns) = m.topk(take, 1, largest: true, sorted: false);
        var kth = values.amin([1], keepdim: true);                                      // [b, 1]
        if (!m.ge(kth).sum(1).gt(takeScalar).any().item<bool>()) return columns.sort(1).Values;

        // Otherwise keep everything above the take-th value, then the lowest-column items equal to it: exactly
        // `take` per row, read back in column order.
        var above = m.gt(kth);                                                         // [b, c]
        var equal = m.eq(kth);                                                         // [b, c]
        var aboveCount = above.sum(1, keepdim: true, type: ScalarType.Int64);          // [b, 1]
        var keep = above.logical_or(equal.logical_and(equal.cumsum(1, ScalarType.Int64).Plus(aboveCount).le(takeScalar)));
        return keep.nonzero().select(1, 1).view(m.shape[0], take);
    }

    /// <summary>The batch's excluded (row, item) pairs sorted by item, so each chunk takes the next run of them.</summary>
    private (int Row, int Item)[] Exclusions(HistoryBatch? exclude, int first, int count)
    {
        if (exclude is not { } e) return [];
        var pairs = new List<(int Row, int Item)>();
        for (var row = 0; row < count; row++)
        {
            foreach (var item in e[first + row])
            {
                if (item >= 1 && item <= ItemCount) pairs.Add((row, item));
            }
        }

        var array = pairs.ToArray();
        Array.Sort(array, (x, y) => x.Item != y.Item ? x.Item.CompareTo(y.Item) : x.Row.CompareTo(y.Row));
        return array;
    }

    /// <summary>Frees the scorer's copy of the item table.</summary>
    public void Dispose() => _items.Dispose();
}
