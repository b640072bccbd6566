using System.Globalization;
using Re4.Recommenders.Training;

namespace Re4.Cli;

/// <summary>A one-line progress bar on a terminal's stderr; nothing when stderr is redirected (the log lines suffice).</summary>
internal sealed class ConsoleProgress : IProgress<TrainingProgress>
{
    private readonly TextWriter _writer;
    private readonly bool _enabled;
    private DateTime _last = DateTime.MinValue;

    public ConsoleProgress(TextWriter writer, bool enabled)
    {
        _writer = writer;
        _enabled = enabled;
    }

    public void Report(TrainingProgress value)
    {
        if (!_enabled) return;
        var now = DateTime.UtcNow;
        if (!value.IsValidation && (now - _last).TotalMilliseconds < 250 && value.Step != value.MaxSteps) return;
        _last = now;
        const int width = 30;
        var fraction = Math.Clamp(value.Step / (double)Math.Max(1, value.MaxSteps), 0, 1);
        var filled = (int)(fraction * width);
        var valid = value.LastValidation is { } m && m.TryGetValue("recall@50", out var r) ? r.ToString("F4", CultureInfo.InvariantCulture) : "-";
        _writer.Write(string.Create(CultureInfo.InvariantCulture,
            $"\r[{new string('#', filled)}{new string('.', width - filled)}] step {value.Step}/{value.MaxSteps} epoch {value.Epoch} loss {value.Loss:F4} {value.SamplesPerSecond:F0}/s valid recall@50 {valid}   "));
        if (value.IsValidation) _writer.WriteLine();
    }

    public void Finish()
    {
        if (_enabled) _writer.WriteLine();
    }
}
