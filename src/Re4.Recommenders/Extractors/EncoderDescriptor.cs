using Re4.Recommenders.Models;

namespace Re4.Recommenders.Extractors;

/// <summary>
/// Everything the library needs to build an encoder by name: its registry name (saved in <c>model.json</c> as
/// <see cref="ModelConfig.Encoder"/>), its command-line name, whether it is multi-interest, its options type with their
/// defaults, and a factory from a <see cref="ModelConfig"/>. Register one with <see cref="EncoderRegistry.Register"/> so
/// that models and checkpoints of it are built by name (docs/extending.md, section 5).
/// </summary>
/// <remarks>An encoder without options derives from this class and implements <see cref="Create"/>; one with options
/// derives from <see cref="EncoderDescriptor{TOptions}"/>. Descriptors are stateless and thread-safe.</remarks>
public abstract class EncoderDescriptor
{
    /// <summary>Describes an encoder (names validated here).</summary>
    /// <param name="name">The registry name, saved in checkpoints (e.g. <c>ComiRecSA</c>): never rename a released one.</param>
    /// <param name="cliName">The command line's name (e.g. <c>comirec-sa</c>).</param>
    /// <param name="multiInterest">False when the encoder always gives one interest, whatever <see cref="ModelConfig.Interests"/> says.</param>
    protected EncoderDescriptor(string name, string cliName, bool multiInterest)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(cliName);
        Name = name;
        CliName = cliName;
        MultiInterest = multiInterest;
    }

    /// <summary>The registry name, saved in checkpoints.</summary>
    public string Name { get; }

    /// <summary>The command line's name.</summary>
    public string CliName { get; }

    /// <summary>True when the encoder gives <see cref="ModelConfig.Interests"/> interests, false when it gives one.</summary>
    public bool MultiInterest { get; }

    /// <summary>The type of <see cref="ModelConfig.EncoderOptions"/> this encoder reads; null when it has none.</summary>
    public virtual Type? OptionsType => null;

    /// <summary>The encoder's options as a model built from <paramref name="config"/> uses them: its
    /// <see cref="ModelConfig.EncoderOptions"/>, or the defaults when null, made consistent with the configuration's d, K
    /// and L. A model records these in its <see cref="MultiInterestModel.Config"/>, so its checkpoint holds every option
    /// that shapes the network.</summary>
    /// <exception cref="ArgumentException">The configuration's options are not of <see cref="OptionsType"/>.</exception>
    public virtual object? ResolveOptions(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.EncoderOptions is not null)
            throw new ArgumentException($"Encoder {Name} has no options; the configuration gives {config.EncoderOptions.GetType().Name}.", nameof(config));
        return null;
    }

    /// <summary>Builds the extractor (its weights drawn from torch's global generator) for a validated configuration.</summary>
    /// <param name="config">The architecture; <see cref="ModelConfig.Encoder"/> names this encoder.</param>
    public abstract InterestExtractor Create(ModelConfig config);
}
