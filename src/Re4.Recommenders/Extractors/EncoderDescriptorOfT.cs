using Re4.Recommenders.Models;

namespace Re4.Recommenders.Extractors;

/// <summary>An <see cref="EncoderDescriptor"/> whose encoder reads options of type <typeparamref name="TOptions"/> from
/// <see cref="ModelConfig.EncoderOptions"/>. The options type should be a record (value equality, <c>with</c>) whose
/// properties serialise with System.Text.Json: checkpoints store it in <c>model.json</c>.</summary>
/// <typeparam name="TOptions">The encoder's options.</typeparam>
public abstract class EncoderDescriptor<TOptions> : EncoderDescriptor
    where TOptions : class
{
    /// <inheritdoc />
    protected EncoderDescriptor(string name, string cliName, bool multiInterest)
        : base(name, cliName, multiInterest)
    {
    }

    /// <inheritdoc />
    public sealed override Type OptionsType => typeof(TOptions);

    /// <summary>The options a configuration without <see cref="ModelConfig.EncoderOptions"/> gets (a new instance each call).</summary>
    public abstract TOptions CreateDefaultOptions();

    /// <inheritdoc />
    public sealed override object ResolveOptions(ModelConfig config) => Options(config);

    /// <summary>The typed options a model built from <paramref name="config"/> uses (see <see cref="ResolveOptions"/>).</summary>
    /// <exception cref="ArgumentException">The configuration's options are not <typeparamref name="TOptions"/>.</exception>
    public TOptions Options(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var options = config.EncoderOptions switch
        {
            null => CreateDefaultOptions(),
            TOptions typed => typed,
            var other => throw new ArgumentException($"Encoder {Name} reads {typeof(TOptions).Name} options; the configuration gives {other.GetType().Name}.", nameof(config)),
        };
        return Consistent(config, options);
    }

    /// <inheritdoc />
    public sealed override InterestExtractor Create(ModelConfig config) => Create(config, Options(config));

    /// <summary>Builds the extractor from the configuration and its resolved options.</summary>
    protected abstract InterestExtractor Create(ModelConfig config, TOptions options);

    /// <summary>Makes options that repeat the configuration's d, K or L agree with it (the configuration wins). The default
    /// returns them unchanged.</summary>
    protected virtual TOptions Consistent(ModelConfig config, TOptions options) => options;
}
