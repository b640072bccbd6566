using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;
using Re4.Recommenders.PgVector;

namespace Re4.Cli;

/// <summary><c>re4 publish</c>: a checkpoint's item table into PostgreSQL + pgvector (one server, or several shards),
/// as a new version beside the old one, made current atomically.</summary>
internal static class PublishCommand
{
    private const string Synopsis =
        "re4 publish --checkpoint DIR [--connection STR ...] [--connection-env NAME] [--catalog NAME] [--m 16]\n" +
        "            [--ef-construction 64] [--keep-current]\n" +
        "Copies the model's items (dense id, original id, vector) into a table of PostgreSQL with pgvector by binary COPY,\n" +
        "builds an HNSW index on inner product and makes the version current in one transaction; serving never sees a\n" +
        "half-written table. The version is the content hash of the item table: publishing the same model again copies\n" +
        "nothing. With several --connection (one per shard, in a fixed order), items are split by a hash of their id.\n" +
        "Without --connection the connection strings come from the environment variable --connection-env (default\n" +
        $"{PgVectorOptions.DefaultConnectionStringEnvironmentVariable}; several separated by '|'). Prints the version, the rows per shard and the index build time.\n\n";

    /// <summary>The <c>publish</c> verb: its options and its action.</summary>
    public static Verb Create(Func<ParseResult, CancellationToken, VerbContext> context)
    {
        var checkpoint = CliOptions.Text("checkpoint", "DIR", "a run folder of 're4 train' (or its model/ folder)", required: true);
        var connection = new Option<string[]>("--connection")
        {
            HelpName = "STR",
            Description = "an Npgsql connection string (Host=...;Port=...;Username=...;Database=...); once per shard",
            Arity = ArgumentArity.OneOrMore,
        };
        var connectionEnv = CliOptions.Text("connection-env", "NAME",
            $"the environment variable holding the connection string(s) when --connection is absent (default {PgVectorOptions.DefaultConnectionStringEnvironmentVariable})");
        var catalog = CliOptions.Text("catalog", "NAME", "the name whose current version is switched (default 'default'; several models can share a database)");
        var m = CliOptions.Int("m", "M", "HNSW links per node", 16, min: 2);
        var efConstruction = CliOptions.Int("ef-construction", "EF", "HNSW candidate list while building", 64, min: 4);
        var keepCurrent = CliOptions.Flag("keep-current", "publish beside the current version without switching to it");
        var verb = new Verb("publish", "publish a checkpoint's item table to PostgreSQL + pgvector (HNSW, versioned, sharded)", Synopsis);
        verb.AddOptions(checkpoint, connection, connectionEnv, catalog, m, efConstruction, keepCurrent);
        Program.SetRun(verb, context, (parse, c) =>
        {
            var options = new PgVectorOptions
            {
                ConnectionStrings = (parse.GetValue(connection) ?? []).ToList(),
                ConnectionStringEnvironmentVariable = parse.GetValue(connectionEnv) ?? PgVectorOptions.DefaultConnectionStringEnvironmentVariable,
                Catalog = parse.GetValue(catalog) ?? "default",
            };
            var publish = new PgVectorPublishOptions { M = parse.GetValue(m), EfConstruction = parse.GetValue(efConstruction), MakeCurrent = !parse.GetValue(keepCurrent) };
            try
            {
                options.Validate();
                publish.Validate();
            }
            catch (ArgumentException e)
            {
                return c.Usage(e.Message);
            }

            if (options.ConnectionStrings.Count == 0 && string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(options.ConnectionStringEnvironmentVariable)))
                return c.Usage($"no connection string: give --connection, or set the environment variable {options.ConnectionStringEnvironmentVariable}");
            return Run(c, parse.GetValue(checkpoint)!, options, publish);
        });
        return verb;
    }

    private static int Run(VerbContext c, string checkpoint, PgVectorOptions options, PgVectorPublishOptions publish)
    {
        using var loaded = CliModels.LoadCheckpoint(checkpoint, null, TorchSharp.torch.CPU);
        PgVectorPublication published;
        try
        {
            using var publisher = new PgVectorPublisher(options, c.Loggers.CreateLogger<PgVectorPublisher>());
            published = publisher.PublishAsync(loaded, publish, c.Cancellation).GetAwaiter().GetResult();
        }
        catch (NpgsqlException e) when (e.InnerException is not OperationCanceledException)
        {
            throw new InvalidOperationException($"PostgreSQL failed: {e.Message} (is the server reachable, with the vector extension available?)", e);
        }

        var rows = string.Join(", ", published.RowsPerShard.Select(r => r.ToString(CultureInfo.InvariantCulture)));
        c.Out.WriteLine(published.AlreadyPublished
            ? $"version {published.Version} is already published ({published.ItemCount} items x {published.Dimension}, table {published.TableName}, rows per shard: {rows}): nothing copied"
            : $"published version {published.Version}: {published.ItemCount} items x {published.Dimension} into table {published.TableName} on {published.RowsPerShard.Count} shard(s) (rows per shard: {rows}); " +
              $"copy {published.CopyTime.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture)} s, index build {published.IndexBuildTime.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture)} s");
        c.Out.WriteLine(published.IsCurrent
            ? $"current version of catalog '{options.Catalog}': {published.Version}"
            : $"catalog '{options.Catalog}' keeps its current version (--keep-current)");
        return 0;
    }
}
