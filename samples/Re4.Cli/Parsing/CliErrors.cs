using System.CommandLine;
using System.CommandLine.Parsing;

namespace Re4.Cli;

/// <summary>Turns System.CommandLine's parse errors into the one line <c>re4 &lt;verb&gt;: ...</c> prints (after the
/// prefix), in this order: unknown options (a typo such as <c>--outt</c> is named as such rather than as a missing
/// <c>--out</c>), stray arguments, options given twice, options without their value, bad values (the options' own
/// messages), then missing required options.</summary>
internal static class CliErrors
{
    /// <summary>The message for a parse of <paramref name="verb"/> that has errors, or null when it has none.</summary>
    public static string? Describe(ParseResult parse, string verb)
    {
        var see = $"(see 're4 {verb} --help')";
        // '--outt=x' names the option --outt, as '--outt x' does.
        var unknown = parse.UnmatchedTokens.Where(t => t.StartsWith('-')).Select(t => t.Split('=', 2)[0]).Distinct().ToList();
        if (unknown.Count > 0)
            return $"unknown option{(unknown.Count > 1 ? "s" : string.Empty)} for '{verb}': {string.Join(", ", unknown)} {see}";
        var stray = parse.UnmatchedTokens.FirstOrDefault();
        if (stray is not null) return $"unexpected argument '{stray}': options look like --name value";

        // System.CommandLine lets a switch repeat; re4 never did (a repeated option is a mistake in a script), except for
        // the options that take a list (re4 publish --connection, once per shard).
        var lists = parse.CommandResult.Command.Options.Where(o => o.Arity.MaximumNumberOfValues > 1).Select(o => o.Name).ToHashSet();
        var twice = parse.Tokens.Where(t => t.Type == TokenType.Option && !lists.Contains(t.Value)).GroupBy(t => t.Value).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) return $"option {twice.Key} is given twice";
        if (parse.Errors.Count == 0) return null;

        var missing = new List<string>();
        foreach (var error in parse.Errors)
        {
            if (error.SymbolResult is ArgumentResult) return error.Message;
            if (error.SymbolResult is not OptionResult option) continue;
            if (option.IdentifierTokenCount == 0)
                missing.Add(option.Option.Name);
            else if (option.Tokens.Count == 0 && option.Option.Arity.MinimumNumberOfValues > 0)
                return $"option {option.Option.Name} needs a value";
            else
                return error.Message;
        }

        if (missing.Count > 0)
            return $"option{(missing.Count > 1 ? "s" : string.Empty)} {string.Join(", ", missing.Distinct())} required {see}";
        return parse.Errors[0].Message;
    }
}
