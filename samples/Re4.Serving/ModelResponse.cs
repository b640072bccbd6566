namespace Re4.Serving;

/// <summary>What <c>GET /models</c> and a reload say about a model.</summary>
/// <param name="Name">The name in appsettings.json (the service key).</param>
/// <param name="Model">The model's own name.</param>
/// <param name="Version">1, plus one per reload.</param>
/// <param name="Items">Catalogue size N.</param>
/// <param name="Directory">The model folder it was loaded from.</param>
/// <param name="LoadedAt">When it was loaded.</param>
/// <param name="LastReloadError">Why the last reload failed (the previous model still answers), or null.</param>
public sealed record ModelResponse(string Name, string Model, int Version, int Items, string Directory, DateTimeOffset LoadedAt, string? LastReloadError);
