using System.Text.RegularExpressions;
using Re4.Recommenders.Models;
using Re4.Recommenders.Scoring;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Hosting;

/// <summary>Options of a <see cref="Re4RecommenderService"/>: which checkpoint to serve and how. Every property binds from
/// configuration (<c>appsettings.json</c>, environment variables) under its own name, except the two delegates, which are
/// set in code.</summary>
public sealed class Re4RecommenderOptions
{
    /// <summary>The default <see cref="MaxTop"/>.</summary>
    public const int DefaultMaxTop = 1000;

    /// <summary>A model folder written by <see cref="Models.ModelCheckpoint.Save(string, Models.MultiInterestModel, Data.IdMap)"/>, or a training run's folder (the trainer's
    /// checkpoint directory) holding one in <c>model/</c>. Required.</summary>
    public string? CheckpointPath { get; set; }

    /// <summary>Builds the extractor of a model trained around an extractor instance of your own (an encoder name the
    /// <see cref="Extractors.EncoderRegistry"/> does not know) from its saved configuration; not needed for registered
    /// encoders. Code only.</summary>
    public Func<ModelConfig, Extractors.InterestExtractor>? CustomExtractor { get; set; }

    /// <summary>Where the encoder runs, as text: <c>cpu</c> (also when null or empty), <c>cuda</c> or <c>cuda:N</c>. CUDA
    /// needs the app to reference a CUDA backend of TorchSharp; without one the load fails naming this option.</summary>
    public string? Device { get; set; }

    /// <summary>Never recommend an item of the history itself (default true: a served list rarely wants what the user
    /// already has; the evaluation protocol, which does keep them, is configured elsewhere).</summary>
    public bool ExcludeHistory { get; set; } = true;

    /// <summary>The largest <c>top</c> one call may ask for (default 1000). It bounds the memory a single request can make
    /// the service allocate, which matters when <c>top</c> comes from an untrusted caller.</summary>
    public int MaxTop { get; set; } = DefaultMaxTop;

    /// <summary>What a history item the model does not know does to a request (default
    /// <see cref="UnknownItemPolicy.Reject"/>); a request may override it.</summary>
    public UnknownItemPolicy UnknownItems { get; set; } = UnknownItemPolicy.Reject;

    /// <summary>The exact scorer behind the service (default <see cref="ServingScorer.Auto"/>: Torch on CUDA, managed on
    /// the CPU). Ignored when <see cref="ScorerFactory"/> is set.</summary>
    public ServingScorer Scorer { get; set; } = ServingScorer.Auto;

    /// <summary>Builds the scorer of each loaded model (e.g. an approximate index over its item table), replacing
    /// <see cref="Scorer"/>; the service disposes what it returns when that model is retired, if it is
    /// <see cref="IDisposable"/>. Code only.</summary>
    public Func<MultiInterestModel, ICandidateScorer>? ScorerFactory { get; set; }

    /// <summary>How often to look for a new model at <see cref="CheckpointPath"/> (e.g. <c>"00:00:10"</c>); when the
    /// model folder's files change (a training run replacing its <c>model/</c>), the service reloads it. Null (default)
    /// watches nothing; <see cref="Re4RecommenderService.Reload"/> still reloads on demand.</summary>
    public TimeSpan? WatchInterval { get; set; }

    /// <summary>Checks the options; every message names the option at fault.</summary>
    /// <exception cref="ArgumentException">An option is invalid (the first one found).</exception>
    internal void Validate()
    {
        var errors = Errors($"{nameof(Re4RecommenderOptions)}.");
        if (errors.Count == 0) return;
        var (option, message) = errors[0];
        if (option == nameof(MaxTop)) throw new ArgumentOutOfRangeException(option, MaxTop, message);
        throw new ArgumentException(message, option);
    }

    /// <summary>Every invalid option, each with a message that starts with <paramref name="prefix"/> and the option's
    /// name (the configuration path of the section it was bound from, e.g. <c>Re4:MaxTop</c>).</summary>
    internal List<(string Option, string Message)> Errors(string prefix)
    {
        var errors = new List<(string, string)>();
        if (string.IsNullOrWhiteSpace(CheckpointPath))
            errors.Add((nameof(CheckpointPath), $"{prefix}{nameof(CheckpointPath)} is required: the folder of a trained model (or of its training run)."));
        if (MaxTop <= 0)
            errors.Add((nameof(MaxTop), $"{prefix}{nameof(MaxTop)} must be positive; it is {MaxTop}."));
        if (!TryParseDevice(Device, out _))
            errors.Add((nameof(Device), $"{prefix}{nameof(Device)} is '{Device}'; expected cpu, cuda or cuda:N (N a device index)."));
        if (!Enum.IsDefined(UnknownItems))
            errors.Add((nameof(UnknownItems), $"{prefix}{nameof(UnknownItems)} is {(int)UnknownItems}; expected {string.Join(" or ", Enum.GetNames<UnknownItemPolicy>())}."));
        if (!Enum.IsDefined(Scorer))
            errors.Add((nameof(Scorer), $"{prefix}{nameof(Scorer)} is {(int)Scorer}; expected {string.Join(", ", Enum.GetNames<ServingScorer>())}."));
        if (WatchInterval is { } w && w <= TimeSpan.Zero)
            errors.Add((nameof(WatchInterval), $"{prefix}{nameof(WatchInterval)} must be positive (or absent, to watch nothing); it is {w}."));
        return errors;
    }

    /// <summary>The torch device named by <paramref name="text"/> (null for the CPU).</summary>
    internal static bool TryParseDevice(string? text, out Device? device)
    {
        device = null;
        if (string.IsNullOrWhiteSpace(text)) return true;
        var match = Regex.Match(text.Trim(), @"^(?<type>cpu|cuda)(:(?<index>\d{1,4}))?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        if (!match.Success) return false;
        var isCuda = match.Groups["type"].Value.Equals("cuda", StringComparison.OrdinalIgnoreCase);
        if (!isCuda) return !match.Groups["index"].Success;   // "cpu:1" means nothing
        var index = match.Groups["index"].Success ? int.Parse(match.Groups["index"].Value, System.Globalization.CultureInfo.InvariantCulture) : -1;
        device = new Device(DeviceType.CUDA, index);
        return true;
    }

    /// <summary>A copy, so that changing the caller's instance after registration changes nothing.</summary>
    internal Re4RecommenderOptions Clone() => (Re4RecommenderOptions)MemberwiseClone();
}
