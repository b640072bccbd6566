namespace Re4.Recommenders.Hosting;

/// <summary>A request's history holds items the served model does not know, under
/// <see cref="UnknownItemPolicy.Reject"/>. Its message is fit to show to whoever sent the history; the items are in
/// <see cref="UnknownItems"/>.</summary>
public sealed class UnknownItemsException : ArgumentException
{
    private readonly string _plainMessage;

    /// <summary>Creates the exception for <paramref name="unknownItems"/> (original ids, in history order).</summary>
    /// <param name="unknownItems">The unknown items.</param>
    /// <param name="paramName">The parameter that held the history.</param>
    /// <param name="requestIndex">In a batch, the index of the request at fault; null for a single request.</param>
    public UnknownItemsException(IReadOnlyList<long> unknownItems, string? paramName, int? requestIndex = null)
        : this(unknownItems, paramName, requestIndex, Describe(unknownItems, requestIndex))
    {
    }

    private UnknownItemsException(IReadOnlyList<long> unknownItems, string? paramName, int? requestIndex, string message)
        : base(message, paramName)
    {
        UnknownItems = unknownItems;
        RequestIndex = requestIndex;
        _plainMessage = message;
    }

    /// <summary>The unknown original item ids, in history order.</summary>
    public IReadOnlyList<long> UnknownItems { get; }

    /// <summary>In a batch, the index of the request at fault.</summary>
    public int? RequestIndex { get; }

    /// <summary>The message without the parameter name that <see cref="ArgumentException"/> would append, so that it can
    /// be shown to a caller as it is (<see cref="ArgumentException.ParamName"/> still names the parameter).</summary>
    public override string Message => _plainMessage;

    private static string Describe(IReadOnlyList<long> unknownItems, int? requestIndex)
    {
        ArgumentNullException.ThrowIfNull(unknownItems);
        var where = requestIndex is { } i ? $"requests[{i}]: " : string.Empty;
        return $"{where}The model does not know item{(unknownItems.Count > 1 ? "s" : string.Empty)} {string.Join(", ", unknownItems)} (unseen in training or removed by the data filter).";
    }
}
