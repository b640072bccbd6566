namespace Re4.Recommenders.USearch;

/// <summary>The native USearch library reported an error (its message is included), or returned something this project
/// cannot use.</summary>
public sealed class USearchException : Exception
{
    /// <summary>Creates an exception with a message.</summary>
    public USearchException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and its cause.</summary>
    public USearchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
