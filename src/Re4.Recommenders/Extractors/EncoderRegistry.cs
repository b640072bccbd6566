using System.Diagnostics.CodeAnalysis;

namespace Re4.Recommenders.Extractors;

/// <summary>
/// The encoders the library builds by name: a model's <see cref="Models.ModelConfig.Encoder"/>, a checkpoint's
/// <c>model.json</c> and the CLI's <c>--model</c> are all resolved here. The built-in encoders are registered below, one
/// line each; register your own with <see cref="Register"/> before building or loading models of it.
/// </summary>
/// <remarks>Thread-safe. Registration is process-wide and permanent, as a checkpoint names its encoder for good.</remarks>
public static class EncoderRegistry
{
    private static readonly object Gate = new();
    private static readonly List<EncoderDescriptor> Registered = [];

    static EncoderRegistry()
    {
        // Registration order is the order the CLI lists them in.
        Register(new ComiRecSaDescriptor());
        Register(new ComiRecDrDescriptor());
        Register(new MindDescriptor());
        Register(new YouTubeDnnDescriptor());
        Register(new Gru4RecDescriptor());
    }

    /// <summary>Every registered encoder, in registration order (a snapshot).</summary>
    public static IReadOnlyList<EncoderDescriptor> All
    {
        get
        {
            lock (Gate) return Registered.ToArray();
        }
    }

    /// <summary>Registers an encoder. Registering another instance of the same descriptor type under the same names again
    /// does nothing, so that start-up code may run twice.</summary>
    /// <exception cref="ArgumentException">Another encoder already has its <see cref="EncoderDescriptor.Name"/> or
    /// <see cref="EncoderDescriptor.CliName"/>.</exception>
    public static void Register(EncoderDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        lock (Gate)
        {
            foreach (var existing in Registered)
            {
                var sameName = existing.Name == descriptor.Name;
                var sameCli = existing.CliName == descriptor.CliName;
                if (sameName && sameCli && existing.GetType() == descriptor.GetType()) return;
                if (sameName || sameCli)
                    throw new ArgumentException($"Encoder {descriptor.Name} ({descriptor.CliName}) clashes with the registered {existing.Name} ({existing.CliName}, {existing.GetType().Name}).", nameof(descriptor));
            }

            Registered.Add(descriptor);
        }
    }

    /// <summary>The encoder registered as <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No encoder has that name; the message lists those that do.</exception>
    public static EncoderDescriptor Get(string name) => TryGet(name, out var descriptor) ? descriptor
        : throw new ArgumentException($"No encoder is registered as '{name}'; registered: {string.Join(", ", All.Select(d => d.Name))}. Register yours with {nameof(EncoderRegistry)}.{nameof(Register)}.", nameof(name));

    /// <summary>The encoder registered as <paramref name="name"/> (<see cref="EncoderDescriptor.Name"/>, case-sensitive).</summary>
    public static bool TryGet(string? name, [NotNullWhen(true)] out EncoderDescriptor? descriptor)
    {
        lock (Gate) descriptor = Registered.Find(d => d.Name == name);
        return descriptor is not null;
    }

    /// <summary>The encoder whose <see cref="EncoderDescriptor.CliName"/> is <paramref name="cliName"/>.</summary>
    public static bool TryGetByCliName(string? cliName, [NotNullWhen(true)] out EncoderDescriptor? descriptor)
    {
        lock (Gate) descriptor = Registered.Find(d => d.CliName == cliName);
        return descriptor is not null;
    }
}
