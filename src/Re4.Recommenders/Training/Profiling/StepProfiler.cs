using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Training;

/// <summary>
/// Times the phases of training steps for <see cref="MultiInterestTrainer.Profile"/>. The step's code calls
/// <see cref="Mark"/> at the end of each phase; the time since the previous mark is added to that phase. When no profiler
/// is active on the thread (every ordinary step) a mark is one thread-static read: profiling never changes what a step
/// computes, it only reads a clock (and, on CUDA, waits for the queued work so that the clock means something).
/// </summary>
/// <remarks>Not thread-safe; active on the thread that called <see cref="Activate"/> until disposed.</remarks>
internal sealed class StepProfiler : IDisposable
{
    [ThreadStatic]
    private static StepProfiler? s_current;

    private readonly bool _synchronize;
    private readonly Stopwatch _clock = new();
    private readonly List<(StepPhase Phase, string Name)> _order = new();
    private readonly Dictionary<(StepPhase Phase, string Name), long> _ticks = new();
    private StepProfiler? _previous;
    private long _last;

    private StepProfiler(Device device)
    {
        _synchronize = device.type == DeviceType.CUDA;
    }

    /// <summary>Whether the phases are being added up (false during a warm-up: the marks only move the clock on).</summary>
    public bool Recording { get; set; }

    /// <summary>Starts profiling on this thread (marks before this call go nowhere).</summary>
    public static StepProfiler Activate(Device device)
    {
        var profiler = new StepProfiler(device) { _previous = s_current };
        s_current = profiler;
        profiler._clock.Start();
        return profiler;
    }

    /// <summary>Ends a phase: the time since the previous mark (or <see cref="Restart"/>) goes to <paramref name="phase"/>.</summary>
    /// <param name="phase">The phase that just ended.</param>
    /// <param name="name">The flow's name for <see cref="StepPhase.Flow"/>; null otherwise.</param>
    public static void Mark(StepPhase phase, string? name = null) => s_current?.Add(phase, name);

    /// <summary>Starts a step: the clock restarts without charging any phase.</summary>
    public void Restart()
    {
        if (_synchronize) cuda.synchronize();
        _last = _clock.ElapsedTicks;
    }

    /// <summary>The mean time per step of each phase over <paramref name="steps"/> recorded steps, in first-seen order.</summary>
    public IReadOnlyList<StepPhaseTiming> Timings(int steps) =>
        _order.Select(key => new StepPhaseTiming(key.Phase, key.Name, _ticks[key] / (double)Stopwatch.Frequency / steps)).ToArray();

    private void Add(StepPhase phase, string? name)
    {
        if (_synchronize) cuda.synchronize();
        var now = _clock.ElapsedTicks;
        var elapsed = now - _last;
        _last = now;
        if (!Recording) return;
        var key = (phase, name ?? NameOf(phase));
        if (!_ticks.TryGetValue(key, out var sum)) _order.Add(key);
        _ticks[key] = sum + elapsed;
    }

    /// <summary>A phase's name in kebab case (<c>SoftmaxCrossEntropy</c> → <c>softmax-cross-entropy</c>).</summary>
    public static string NameOf(StepPhase phase)
    {
        var text = phase.ToString();
        var builder = new System.Text.StringBuilder(text.Length + 4);
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsUpper(text[i]) && i > 0) builder.Append('-');
            builder.Append(char.ToLowerInvariant(text[i]));
        }

        return builder.ToString();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (ReferenceEquals(s_current, this)) s_current = _previous;
    }
}
