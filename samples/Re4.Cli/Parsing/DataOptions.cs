using System.CommandLine;
using Re4.Recommenders.Data;
using Re4.Recommenders.Training;

namespace Re4.Cli;

/// <summary>The options of every verb that reads data (<c>--data</c>, <c>--format</c>, <c>--filter</c>, <c>--protocol</c>,
/// <c>--seed</c>, <c>--split-seed</c>, <c>--max-len</c>), with the library's defaults, and their reading into a
/// <see cref="DataSource"/>.</summary>
internal sealed class DataOptions
{
    private static readonly DatasetFilter DefaultFilter = DatasetFilter.ComiRec();

    /// <summary>Makes the options (one set per verb: each command owns its own option objects).</summary>
    /// <param name="seedHelp">What <c>--seed</c> seeds, in the verb's words.</param>
    public DataOptions(string seedHelp = "seed of the user split (and of training, for 'train'; default {default})")
    {
        Data = CliOptions.Text("data", "PATH|synthetic", "interaction file, or 'synthetic' for the built-in planted-interest data", required: true);
        Format = CliOptions.Choice("format", string.Join('|', DataSource.Formats.Keys), DataSource.Formats, new LoadOptions().Reader, "F");
        Filter = CliOptions.Parsed<DatasetFilter>("filter", "F",
            $"comirec|comirec:I,U|kcore:N|none (default {DefaultFilter}: items >= {DefaultFilter.MinItemInteractions}, then users >= {DefaultFilter.MinUserInteractions})",
            text =>
            {
                try
                {
                    return (DatasetFilter.Parse(text), null);
                }
                catch (FormatException e)
                {
                    return (null, "option --filter: " + e.Message);
                }
            });
        Protocol = CliOptions.Choice("protocol", string.Join('|', DataSource.Protocols.Keys), DataSource.Protocols, SplitProtocol.ComiRec, "P");
        Seed = CliOptions.Int("seed", "S", seedHelp, new TrainerOptions().Seed);
        SplitSeed = CliOptions.OptionalInt("split-seed", "S", "seed of the user split when it must differ from --seed (same split, several training seeds)");
        MaxLength = CliOptions.Int("max-len", "L", "longest history given to a model", DataSplitter.DefaultMaxLength, min: 1);
    }

    public Option<string> Data { get; }

    public Option<InteractionReader?> Format { get; }

    public Option<DatasetFilter?> Filter { get; }

    public Option<SplitProtocol> Protocol { get; }

    public Option<int> Seed { get; }

    public Option<int?> SplitSeed { get; }

    public Option<int> MaxLength { get; }

    /// <summary>The options in help order.</summary>
    public Option[] All => [Data, Format, Filter, Protocol, Seed, SplitSeed, MaxLength];

    /// <summary>The data source the parsed options describe.</summary>
    public DataSource Read(ParseResult parse)
    {
        var seed = parse.GetValue(Seed);
        return new DataSource(parse.GetValue(Data)!, parse.GetValue(Format), parse.GetValue(Filter) ?? DefaultFilter, parse.GetValue(Protocol),
            seed, parse.GetValue(SplitSeed) ?? seed, parse.GetValue(MaxLength));
    }
}
