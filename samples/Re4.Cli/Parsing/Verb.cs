using System.CommandLine;
using System.CommandLine.Help;
using System.Text;

namespace Re4.Cli;

/// <summary>A verb of <c>re4</c> (or a sub-verb, as <c>bench scoring</c>): a command with the text its help starts with.
/// The help lists every option of the verb after that text, each with the default it was made with.</summary>
/// <param name="name">The verb as typed.</param>
/// <param name="summary">The one line the root's usage shows for it.</param>
/// <param name="synopsis">The usage line(s) and what the verb does, ending with a blank line.</param>
internal sealed class Verb(string name, string summary, string synopsis) : Command(name, summary)
{
    private const int NameColumn = 26;

    /// <summary>The usage line(s) and what the verb does.</summary>
    public string Synopsis { get; } = synopsis;

    /// <summary>Adds <paramref name="options"/> in help order.</summary>
    public void AddOptions(params Option[] options)
    {
        foreach (var o in options) Options.Add(o);
    }

    /// <summary>The verb's help: the synopsis, then one line per option (its own, then <paramref name="global"/>).</summary>
    public string Help(IEnumerable<Option> global)
    {
        var b = new StringBuilder(Synopsis);
        foreach (var option in Options.Concat(global).Where(o => o is not HelpOption)) AppendOption(b, option);
        return b.ToString();
    }

    /// <summary>One option's help line: <c>--name VALUE</c> in a column, then its description (continued lines
    /// indented under it).</summary>
    private static void AppendOption(StringBuilder b, Option option)
    {
        var left = option.Arity.MaximumNumberOfValues == 0 || option.HelpName is null ? option.Name : $"{option.Name} {option.HelpName}";
        var lines = (option.Description ?? string.Empty).Split('\n');
        b.Append("  ").Append(left.Length < NameColumn ? left.PadRight(NameColumn) : left + "  ").Append(lines[0]).Append('\n');
        foreach (var line in lines.Skip(1)) b.Append(' ', NameColumn + 2).Append(line).Append('\n');
    }
}
