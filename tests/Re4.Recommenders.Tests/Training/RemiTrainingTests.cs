using System.Text.RegularExpressions;
using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Data;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;

namespace Re4.Recommenders.Tests.Training;

/// <summary>REMI's two parts (docs/remi.md) in the trainer: composable with Re4's flows on any encoder and every negative
/// distribution, resumable, and without effect on existing configurations when off.</summary>
public sealed class RemiTrainingTests
{
    private static readonly Lazy<DataSplit> TinySplit = new(() =>
    {
        var raw = PlantedInterestGenerator.Generate(new SyntheticDataOptions { Users = 300, Items = 200, Topics = 8, MinLength = 8, MaxLength = 16, Seed = 9 });
        return DataSplitter.ComiRec(DatasetPreparation.Prepare(raw, DatasetFilter.None), seed: 1, maxLength: 10);
    });

    private static ModelConfig Config(string kind = ComiRecSaDescriptor.EncoderName) =>
        new() { Encoder = kind, ItemCount = TinySplit.Value.Dataset.ItemCount, Dimension = 8, Interests = 3, MaxLength = 10 };

    private static TrainerOptions Options(NegativeSampling negatives = NegativeSampling.LogUniform, HardNegativeOptions? hard = null,
        BackwardFlowOptions? flows = null, long maxSteps = 40, string? checkpoint = null) => new()
    {
        BatchSize = 16,
        LearningRate = 0.01,
        Negatives = negatives,
        NegativeCount = 32,
        MaxSteps = maxSteps,
        EvaluateEvery = 20,
        Seed = 11,
        HardNegatives = hard,
        BackwardFlows = flows ?? new BackwardFlowOptions(),
        CheckpointDirectory = checkpoint,
    };

    private static TrainingResult Train(ModelConfig config, TrainerOptions options)
    {
        using var trainer = new MultiInterestTrainer(TinySplit.Value, config, options);
        return trainer.Fit();
    }

    [Theory]
    [InlineData(NegativeSampling.LogUniform)]
    [InlineData(NegativeSampling.Full)]
    public void Fit_IsBitIdenticalToThePlainRun_WithBetaZero(NegativeSampling negatives)
    {
        var plain = Train(Config(), Options(negatives));
        var betaZero = Train(Config(), Options(negatives, hard: new HardNegativeOptions { Beta = 0 }));
        var hard = Train(Config(), Options(negatives, hard: new HardNegativeOptions { Beta = 2 }));

        betaZero.History.Select(h => h.Loss).Should().Equal(plain.History.Select(h => h.Loss));
        betaZero.Test.Should().Equal(plain.Test!);
        hard.History.Select(h => h.Loss).Should().NotEqual(plain.History.Select(h => h.Loss), "β = 2 changes the main loss");
    }

    [Theory]
    [InlineData(ComiRecSaDescriptor.EncoderName, NegativeSampling.Uniform)]
    [InlineData(ComiRecDrDescriptor.EncoderName, NegativeSampling.LogUniform)]
    [InlineData(MindDescriptor.EncoderName, NegativeSampling.Full)]
    public void Fit_TrainsWithRe4sFlowsRoutingRegularisationAndHardNegatives_OnAnyEncoder(string kind, NegativeSampling negatives)
    {
        var flows = BackwardFlowOptions.Reference with { Routing = new RoutingRegularizationOptions() };
        var result = Train(Config(kind), Options(negatives, new HardNegativeOptions(), flows));

        result.History.Should().HaveCount(2);
        result.History[^1].LossParts.Keys.Should().Contain(["main", "contrast", "attend", "construct", RoutingRegularizationFlow.FlowName]);
        result.History.Should().OnlyContain(h => double.IsFinite(h.Loss) && h.LossParts[RoutingRegularizationFlow.FlowName] >= 0);
        result.BestValidation["recall@50"].Should().BeGreaterThan(0);
    }

    [Fact]
    public void Resume_KeepsRoutingRegularisationAndHardNegatives_AndReachesTheUninterruptedRun()
    {
        using var dir = new TempDir();
        var flows = new BackwardFlowOptions { Routing = new RoutingRegularizationOptions { Weight = 5, Centering = RoutingCentering.ValidItems } };
        var hard = new HardNegativeOptions { Beta = 1.5 };
        var uninterrupted = Train(Config(), Options(hard: hard, flows: flows, maxSteps: 60, checkpoint: Path.Combine(dir.Path, "a")));

        var checkpoint = Path.Combine(dir.Path, "b");
        Train(Config(), Options(hard: hard, flows: flows, maxSteps: 20, checkpoint: checkpoint));
        using var resumed = MultiInterestTrainer.Resume(checkpoint, TinySplit.Value, maxSteps: 60);
        var objective = resumed.Objective.Should().BeOfType<MultiInterestObjective>().Subject;
        objective.HardNegatives.Should().Be(hard);
        var routing = objective.Flows.Should().ContainSingle().Subject;
        routing.Weight.Should().Be(5);
        routing.Flow.Should().BeOfType<RoutingRegularizationFlow>().Which.Options.Should().Be(flows.Routing);
        var result = resumed.Fit();

        result.History.Select(h => h.Loss).Should().Equal(uninterrupted.History.Select(h => h.Loss));
        result.Test.Should().Equal(uninterrupted.Test!);
    }

    [Fact]
    public void Constructor_RefusesHardNegatives_WithAnObjectiveOfYourOwn()
    {
        var config = Config();
        FluentActions.Invoking(() => new MultiInterestTrainer(TinySplit.Value, new MultiInterestModel(config), new MultiInterestObjective(config),
                Options(hard: new HardNegativeOptions())))
            .Should().Throw<ArgumentException>().WithMessage("*HardNegatives*");
    }

    [Fact]
    public void RemiPage_CodeBlockIsVerbatimHere_AndTurnsOnBothParts()
    {
        var options = new TrainerOptions
        {
            Negatives = NegativeSampling.Uniform,
            NegativeCount = 1280,
            HardNegatives = new HardNegativeOptions { Beta = 1 },
            BackwardFlows = BackwardFlowOptions.Reference with { Routing = new RoutingRegularizationOptions() },
        };
        options.Validate();
        var objective = new MultiInterestObjective(Config(), options.BackwardFlows, hardNegatives: options.HardNegatives);
        objective.Flows.Select(f => f.Flow.Name).Should().Equal("contrast", "attend", "construct", RoutingRegularizationFlow.FlowName);
        objective.HardNegatives!.Beta.Should().Be(1);

        static string Squash(string text) => Regex.Replace(text, @"\s+", " ").Trim();
        var page = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "docs", "remi.md"));
        var source = Squash(File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "tests", "Re4.Recommenders.Tests", "Training", "RemiTrainingTests.cs")));
        var blocks = Regex.Matches(page, "```csharp\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();
        blocks.Should().NotBeEmpty();
        foreach (var block in blocks) source.Should().Contain(Squash(block));
    }
}
