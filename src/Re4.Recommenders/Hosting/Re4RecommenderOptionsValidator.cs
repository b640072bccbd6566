using Microsoft.Extensions.Options;

namespace Re4.Recommenders.Hosting;

/// <summary>Validates one registration's named <see cref="Re4RecommenderOptions"/>, naming each bad setting by where it
/// came from (the configuration path, e.g. <c>Re4:Models:a:CheckpointPath</c>, or the property).</summary>
internal sealed class Re4RecommenderOptionsValidator : IValidateOptions<Re4RecommenderOptions>
{
    private readonly string _name;
    private readonly string _prefix;

    public Re4RecommenderOptionsValidator(string name, string prefix)
    {
        _name = name;
        _prefix = prefix;
    }

    public ValidateOptionsResult Validate(string? name, Re4RecommenderOptions options)
    {
        if ((name ?? Options.DefaultName) != _name) return ValidateOptionsResult.Skip;
        var errors = options.Errors(_prefix);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors.Select(e => e.Message));
    }
}
