namespace Re4.Serving;

/// <summary>The body of a 400 or 404.</summary>
/// <param name="Error">What is wrong.</param>
public sealed record ErrorResponse(string Error);
