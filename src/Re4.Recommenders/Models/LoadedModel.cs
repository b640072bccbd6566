using Re4.Recommenders.Data;

namespace Re4.Recommenders.Models;

/// <summary>A model loaded from a checkpoint, with its item id map. Owns the model's native memory: whoever loads it
/// disposes it, after every <see cref="MultiInterestRecommender"/> built around <see cref="Model"/> (they borrow it).</summary>
public sealed class LoadedModel : IDisposable
{
    private long[]? _paddedNumbers;

    internal LoadedModel(MultiInterestModel model, IdMap itemIds)
    {
        Model = model;
        ItemIds = itemIds;
    }

    /// <summary>The model, in evaluation mode.</summary>
    public MultiInterestModel Model { get; }

    /// <summary>The items' original ids, both ways: <c>ItemIds[item]</c> is the original id (as text) of dense item
    /// 1..N, the row of the model's item embedding table; <c>ItemIds.TryGetIndex("B00ABC", out var item)</c> the reverse.
    /// What a custom scorer or an export needs to speak the data's ids.</summary>
    public IdMap ItemIds { get; }

    /// <summary>The original id of a dense item id, for numeric ids; <c>ItemIds[item]</c> works for any id.</summary>
    /// <exception cref="InvalidOperationException">The item ids are text.</exception>
    public long OriginalItemId(int item) => item == 0 ? 0 : ItemIds.GetNumber(item);

    /// <summary>The dense id of a numeric original item id.</summary>
    public bool TryGetItem(long originalId, out int item) => ItemIds.TryGetIndex(originalId, out item);

    /// <summary>The dense id of an original item id given as text.</summary>
    public bool TryGetItem(string originalId, out int item) => ItemIds.TryGetIndex(originalId, out item);

    /// <summary>The whole numeric map (index = dense id; index 0 unused); <see cref="ItemIds"/> works for any id.</summary>
    /// <exception cref="InvalidOperationException">The item ids are text.</exception>
    public ReadOnlySpan<long> OriginalItemIds
    {
        get
        {
            if (_paddedNumbers is { } built) return built;
            if (!ItemIds.IsNumeric)
                throw new InvalidOperationException($"The model's item ids are text: read them through {nameof(ItemIds)}.");
            var padded = new long[ItemIds.Count + 1];
            ItemIds.Numbers.CopyTo(padded.AsSpan(1));
            return _paddedNumbers = padded;
        }
    }

    /// <summary>Frees the model's weights.</summary>
    public void Dispose() => Model.Dispose();
}
