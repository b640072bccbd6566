namespace Re4.Serving;

/// <summary>Entry point: <c>dotnet run --project samples/Re4.Serving -- --checkpoint runs/sa --port 5080</c>.</summary>
public static class Program
{
    /// <summary>Runs the server until Ctrl+C; 2 on a configuration error, 1 on an unreadable checkpoint.</summary>
    public static async Task<int> Main(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.Write(ServingApp.Usage);
            return 0;
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
        catch (InvalidDataException e)
        {
            Console.Error.WriteLine($"Re4.Serving: {e.Message}");
            return 1;
        }

        await using (app)
        {
            await app.RunAsync();
        }

        return 0;
    }
}
