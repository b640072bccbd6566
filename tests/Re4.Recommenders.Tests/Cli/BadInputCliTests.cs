using Re4.Cli;
using Re4.Recommenders.Models;
using static TorchSharp.torch;
using static Re4.Recommenders.Tests.Cli.CliRunner;

namespace Re4.Recommenders.Tests.Cli;

/// <summary>Issue 11, items 7, 9 and 10 at the command line: a value the library would refuse is a usage error (exit 2)
/// before any data is read, sizes the machine cannot hold are refused with one line, a split with nothing to measure is an
/// error, and whatever the input, the error is one escaped line.</summary>
public sealed class BadInputCliTests
{
    private static string[] Train(string outDir, params string[] extra) =>
        ["train", "--data", "synthetic", "--model", "re4", "--out", outDir, "--max-steps", "1", .. extra];

    [Theory]
    [InlineData("--lr", "0", "option --lr: LearningRate must be a positive finite number, not 0")]
    [InlineData("--lr", "1e300", "option --lr: LearningRate must be at most 1e30")]
    [InlineData("--weight-decay", "1e300", "option --weight-decay: WeightDecay must be at most 1e30")]
    [InlineData("--tau", "1e-300", "option --tau: Contrast.Temperature must be at least 1e-30")]
    [InlineData("--lambda-attend", "1e31", "option --lambda-attend: Attend.Weight must be at most 1e30")]
    [InlineData("--max-minutes", "1e300", "option --max-minutes must be positive and at most")]
    public void Train_ReportsAValueTheLibraryRefuses_AsAUsageErrorBeforeLoading(string flag, string value, string message)
    {
        using var dir = new TempDir();
        var outDir = Path.Combine(dir.Path, "run");

        var (code, _, err) = Run(Train(outDir, flag, value));

        code.Should().Be(2, err);
        err.Should().StartWith("re4 train: " + message);
        err.TrimEnd().Should().NotContain("\n");
        Directory.Exists(outDir).Should().BeFalse("nothing is written for a usage error");
    }

    [Fact]
    public void Compare_ReportsAValueTheLibraryRefuses_AsAUsageError()
    {
        using var dir = new TempDir();

        var (code, _, err) = Run("compare", "--data", "synthetic", "--models", "comirec-sa", "--out", dir.Path, "--lr", "0");

        code.Should().Be(2, err);
        err.Should().StartWith("re4 compare: option --lr:");
    }

    [Theory]
    [InlineData("--quiet", "--verbose")]
    [InlineData("--verbose", "--quiet")]
    public void QuietAndVerbose_AreAUsageError(string first, string second)
    {
        var (code, _, err) = Run("recommend", "--checkpoint", "nowhere", "--history", "1", first, second);

        code.Should().Be(2);
        err.Should().Be("re4 recommend: options --quiet and --verbose cannot be combined (--quiet logs warnings and errors only, --verbose adds debug messages)" + Environment.NewLine);
    }

    [Fact]
    public void Errors_NameTheVerb_WhenTheLoggingSwitchComesFirst()
    {
        var (code, _, err) = Run("--quiet", "recommend", "--history", "1");

        code.Should().Be(2);
        err.Should().StartWith("re4 recommend: option");
    }

    [Fact]
    public void Train_RefusesInterestsTheMachineCannotHold_WithTheMemoryItWouldNeed()
    {
        using var dir = new TempDir();

        var (code, _, err) = Run(Train(Path.Combine(dir.Path, "run"), "--interests", "100000"));

        // 256 evaluation users × K² cosines × 4 bytes × 2 alone are 2e13 bytes: no machine of today has that.
        code.Should().Be(1, err);
        err.Should().MatchRegex(@"^re4 train: error: training would need about [0-9.]+ TiB of memory \(N = 2000 items, d = 64, K = 100000, L = 20, batch 128\), more than the .* available; lower --interests, --dim or --batch-size\r?\n$");
    }

    [Fact]
    public void MemoryEstimate_CountsTheItemTableAndTheDiagnosticsCosines()
    {
        var config = new ModelConfig { ItemCount = 999, Dimension = 10, Interests = 3, MaxLength = 5 };
        // Sampled negatives (7 of them): the default (auto) would train 999 items with a full softmax.
        var options = new Recommenders.Training.TrainerOptions { BatchSize = 2, Negatives = Recommenders.Training.NegativeSampling.LogUniform, NegativeCount = 7, EvaluationBatchSize = 4 };

        // By hand: table 1000·10·4·5 = 200000; step 2·3·5·4·8 + 2·3·10·4·8 + 2·5·10·4·4 + 2·8·4·4 = 960 + 1920 + 1600 + 256;
        // evaluation 4·3·15·4·4 + 4·9·4·2 = 2880 + 288.
        MemoryEstimate.TrainingBytes(config, options).Should().Be(200000 + 960 + 1920 + 1600 + 256 + 2880 + 288);
    }

    [Fact]
    public void Recommend_RefusesATopLargerThanTheCatalogue()
    {
        using var dir = new TempDir();
        var folder = Path.Combine(dir.Path, "model");
        manual_seed(3);
        using (var model = new MultiInterestModel(new ModelConfig { ItemCount = 4, Dimension = 3, Interests = 2, MaxLength = 4 }))
            ModelCheckpoint.Save(folder, model, [0, 11, 12, 13, 14]);

        var (code, _, err) = Run("recommend", "--checkpoint", folder, "--history", "11 12", "--top", "1000000000");
        var (okCode, output, okErr) = Run("recommend", "--checkpoint", folder, "--history", "11 12", "--top", "4");

        code.Should().Be(2, err);
        err.Should().Be("re4 recommend: option --top 1000000000 exceeds the checkpoint's catalogue of 4 items" + Environment.NewLine);
        okCode.Should().Be(0, okErr);
        output.Should().Contain("\"item\": 14");
    }

    [Fact]
    public void Evaluate_RefusesASplitWithoutValidationUsers_InsteadOfWritingZeros()
    {
        using var dir = new TempDir();
        // Two users: the 80/10/10 split keeps one for training and one for test, none for validation.
        var data = dir.File("two.csv", "1,10,1\n1,11,2\n1,12,3\n2,10,1\n2,11,2\n2,12,3\n");
        var outDir = Path.Combine(dir.Path, "eval");

        var (code, _, err) = Run("evaluate", "--data", data, "--model", "most-popular", "--filter", "none", "--out", outDir);

        code.Should().Be(1, err);
        err.Should().StartWith("re4 evaluate: error: the split has no validation users (");
        File.Exists(Path.Combine(outDir, "metrics.json")).Should().BeFalse();
    }

    [Fact]
    public void Train_RefusesASplitWithoutValidationUsers()
    {
        using var dir = new TempDir();
        var data = dir.File("two.csv", "1,10,1\n1,11,2\n1,12,3\n2,10,1\n2,11,2\n2,12,3\n");

        var (code, _, err) = Run("train", "--data", data, "--model", "comirec-sa", "--filter", "none", "--out", Path.Combine(dir.Path, "run"), "--max-steps", "1");

        code.Should().Be(1, err);
        err.Should().StartWith("re4 train: error: the split has no validation users (");
    }

    [Fact]
    public void Errors_EscapeControlCharactersOfFilesAndArguments()
    {
        using var dir = new TempDir();
        var data = dir.File("bad.csv", "1,2,3\n2,\u001B]0;pwned\u0007,5\n");

        var (fileCode, _, fileErr) = Run("evaluate", "--data", data, "--model", "most-popular", "--out", Path.Combine(dir.Path, "e"));
        var (argCode, _, argErr) = Run("train", "--data", "synthetic", "--model", "re4", "--out", "x", "--seed", "\u001B]0;t\u0007");

        fileCode.Should().Be(1);
        fileErr.Should().Contain(@"2,\x1B]0;pwned\x07,5");
        argCode.Should().Be(2);
        argErr.Should().Contain(@"'\x1B]0;t\x07'");
        (fileErr + argErr).Where(c => c != '\n' && c != '\r').Any(char.IsControl).Should().BeFalse();
    }
}
