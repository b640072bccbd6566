namespace Re4.Recommenders.Models;

/// <summary>A model loaded from a checkpoint, with its item id map. Owns the model's native memory: whoever loads it
/// disposes it, after every <see cref="MultiInterestRecommender"/> built around <see cref="Model"/> (they borrow it).</summary>
public sealed class LoadedModel : IDisposable
{
    private readonly long[] _originalItemIds;
    private readonly Lazy<Dictionary<long, int>> _lookup;

    internal LoadedModel(MultiInterestModel model, long[] originalItemIds)
    {
        Model = model;
        _originalItemIds = originalItemIds;
        _lookup = new(() =>
        {
            var d = new Dictionary<long, int>(originalItemIds.Length);
            for (var i = 1; i < originalItemIds.Length; i++) d[originalItemIds[i]] = i;
            return d;
        });
    }

    /// <summary>The model, in evaluation mode.</summary>
    public MultiInterestModel Model { get; }

    /// <summary>The original id of a dense item id.</summary>
    public long OriginalItemId(int item) => _originalItemIds[item];

    /// <summary>The dense id of an original item id.</summary>
    public bool TryGetItem(long originalId, out int item) => _lookup.Value.TryGetValue(originalId, out item);

    /// <summary>The whole map (index = dense id).</summary>
    public ReadOnlySpan<long> OriginalItemIds => _originalItemIds;

    /// <summary>Frees the model's weights.</summary>
    public void Dispose() => Model.Dispose();
}
