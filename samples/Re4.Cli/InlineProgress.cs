namespace Re4.Cli;

/// <summary>An <see cref="IProgress{T}"/> that runs its handler on the reporting thread, at once (unlike
/// <see cref="Progress{T}"/>, which posts to the thread pool and may run after the work is done).</summary>
internal sealed class InlineProgress<T>(Action<T> handler) : IProgress<T>
{
    public void Report(T value) => handler(value);
}
