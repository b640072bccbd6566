namespace Re4.Recommenders.Tests.Cli;

/// <summary><c>re4 generate</c>: the streamed synthetic log on the command line.</summary>
public sealed class GenerateCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Generate_WritesTheLog_AndReportsItsLines()
    {
        var path = Path.Combine(_dir.Path, "log.csv");
        var (code, stdout, _) = CliRunner.Run("generate", "--out", path, "--shape", "small", "--users", "300", "--quiet");
        Assert.Equal(0, code);
        var lines = File.ReadAllLines(path);
        Assert.Contains($"wrote {lines.Length} lines (300 users", stdout, StringComparison.Ordinal);
        Assert.All(lines, l => Assert.Equal(3, l.Split(',').Length));

        // The file trains: 'evaluate' reads it back.
        var (evaluate, _, err) = CliRunner.Run("evaluate", "--data", path, "--model", "most-popular", "--out", Path.Combine(_dir.Path, "eval"), "--quiet");
        Assert.True(evaluate == 0, err);
    }

    [Theory]
    [InlineData("--shape", "huge")]
    [InlineData("--users", "0")]
    [InlineData("--items", "-3")]
    public void Generate_IsAUsageError_ForBadValues(string option, string value)
    {
        var (code, _, err) = CliRunner.Run("generate", "--out", Path.Combine(_dir.Path, "x.csv"), option, value);
        Assert.Equal(2, code);
        Assert.Contains(option, err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir.Path, "x.csv")));
    }
}
