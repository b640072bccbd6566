using Re4.Recommenders.Data;

namespace Re4.Recommenders.Hosting;

/// <summary>A request's history holds items the served model does not know, under
/// <see cref="UnknownItemPolicy.Reject"/>. Its message is fit to show to whoever sent the history; the items are in
/// <see cref="UnknownKeys"/> (and, for a history given as numbers, <see cref="UnknownItems"/>).</summary>
public sealed class UnknownItemsException : ArgumentException
{
    private readonly string _plainMessage;

    /// <summary>Creates the exception for <paramref name="unknownItems"/> (original ids, in history order).</summary>
    /// <param name="unknownItems">The unknown items.</param>
    /// <param name="paramName">The parameter that held the history.</param>
    /// <param name="requestIndex">In a batch, the index of the request at fault; null for a single request.</param>
    public UnknownItemsException(IReadOnlyList<long> unknownItems, string? paramName, int? requestIndex = null)
        : this(unknownItems, Keys(unknownItems), paramName, requestIndex)
    {
    }

    /// <summary>Creates the exception for <paramref name="unknownKeys"/> (original ids as text, in history order).</summary>
    /// <param name="unknownKeys">The unknown items.</param>
    /// <param name="paramName">The parameter that held the history.</param>
    /// <param name="requestIndex">In a batch, the index of the request at fault; null for a single request.</param>
    public UnknownItemsException(IReadOnlyList<string> unknownKeys, string? paramName, int? requestIndex = null)
        : this([], unknownKeys ?? throw new ArgumentNullException(nameof(unknownKeys)), paramName, requestIndex)
    {
    }

    private UnknownItemsException(IReadOnlyList<long> unknownItems, IReadOnlyList<string> unknownKeys, string? paramName, int? requestIndex)
        : this(unknownItems, unknownKeys, paramName, requestIndex, Describe(unknownKeys, requestIndex))
    {
    }

    private UnknownItemsException(IReadOnlyList<long> unknownItems, IReadOnlyList<string> unknownKeys, string? paramName, int? requestIndex, string message)
        : base(message, paramName)
    {
        UnknownItems = unknownItems;
        UnknownKeys = unknownKeys;
        RequestIndex = requestIndex;
        _plainMessage = message;
    }

    /// <summary>The unknown original item ids, in history order, for a history given as numbers; empty for one given as
    /// text (see <see cref="UnknownKeys"/>).</summary>
    public IReadOnlyList<long> UnknownItems { get; }

    /// <summary>The unknown original item ids as text, in history order (for a history given as numbers, their decimal
    /// text).</summary>
    public IReadOnlyList<string> UnknownKeys { get; }

    /// <summary>In a batch, the index of the request at fault.</summary>
    public int? RequestIndex { get; }

    /// <summary>The message without the parameter name that <see cref="ArgumentException"/> would append, so that it can
    /// be shown to a caller as it is (<see cref="ArgumentException.ParamName"/> still names the parameter).</summary>
    public override string Message => _plainMessage;

    private static string[] Keys(IReadOnlyList<long> unknownItems)
    {
        ArgumentNullException.ThrowIfNull(unknownItems);
        return unknownItems.Select(OriginalIdText.Format).ToArray();
    }

    private static string Describe(IReadOnlyList<string> unknownKeys, int? requestIndex)
    {
        var where = requestIndex is { } i ? $"requests[{i}]: " : string.Empty;
        return $"{where}The model does not know item{(unknownKeys.Count > 1 ? "s" : string.Empty)} {string.Join(", ", unknownKeys)} (unseen in training or removed by the data filter).";
    }
}
