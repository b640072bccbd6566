using System.CommandLine;
using System.CommandLine.Help;
using Microsoft.Extensions.Options;

namespace Re4.Serving;

/// <summary>Entry point: <c>dotnet run --project samples/Re4.Serving</c> (models from appsettings.json), or
/// <c>... -- --checkpoint runs/sa --port 5080</c> for one model.</summary>
public static class Program
{
    /// <summary>Runs the server until Ctrl+C; 2 on a configuration error, 1 on an unreadable checkpoint.</summary>
    public static async Task<int> Main(string[] args)
    {
        // The command line is checked for shape here (known options, each with its value); the values themselves are
        // checked by ServingApp.Build, which also reads them from environment variables and appsettings.json.
        var command = new RootCommand(ServingApp.Usage)
        {
            new Option<string>("--checkpoint"),
            new Option<string>("--port"),
            new Option<string>("--max-top"),
            new Option<string>("--include-history") { Arity = ArgumentArity.ZeroOrOne },
            new Option<string>("--contentRoot"),
        };
        command.Options.Remove(command.Options.OfType<VersionOption>().Single());
        command.Directives.Clear();
        // Other arguments go on to the ASP.NET Core host (e.g. --environment), as they did before.
        command.TreatUnmatchedTokensAsErrors = false;
        var parse = command.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parse.Action is HelpAction)
        {
            Console.Write(ServingApp.Usage);
            return 0;
        }

        if (parse.Errors.Count > 0)
        {
            Console.Error.WriteLine($"Re4.Serving: {parse.Errors[0].Message}");
            Console.Error.Write(ServingApp.Usage);
            return 2;
        }

        WebApplication app;
        try
        {
            app = ServingApp.Build(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"Re4.Serving: {e.Message.Split(" (Parameter", 2)[0]}");
            Console.Error.Write(ServingApp.Usage);
            return 2;
        }

        await using (app)
        {
            // Start validates every model's options and loads the models, before the server accepts a request.
            try
            {
                await app.StartAsync();
            }
            catch (OptionsValidationException e)
            {
                Console.Error.WriteLine($"Re4.Serving: {string.Join(" ", e.Failures)}");
                return 2;
            }
            catch (InvalidOperationException e) when (e.Message.Contains("ErrorOnUnknownConfiguration", StringComparison.Ordinal))
            {
                Console.Error.WriteLine($"Re4.Serving: {e.Message}");
                return 2;
            }
            catch (Exception e) when (e is InvalidDataException or InvalidOperationException)
            {
                Console.Error.WriteLine($"Re4.Serving: {e.Message}");
                return 1;
            }

            await app.WaitForShutdownAsync();
        }

        return 0;
    }
}
