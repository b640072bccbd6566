using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Data;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Training;

public sealed class ItemUpdateTests
{
    private static readonly Lazy<DataSplit> TinySplit = new(() =>
    {
        var raw = PlantedInterestGenerator.Generate(new SyntheticDataOptions { Users = 400, Items = 300, Topics = 10, MinLength = 8, MaxLength = 20, Seed = 5 });
        return DataSplitter.ComiRec(DatasetPreparation.Prepare(raw, DatasetFilter.None), seed: 1, maxLength: 10);
    });

    private static ModelConfig Config() =>
        new() { Encoder = ComiRecSaDescriptor.EncoderName, ItemCount = TinySplit.Value.Dataset.ItemCount, Dimension = 16, Interests = 3, MaxLength = 10 };

    private static TrainerOptions Options(ItemUpdateMode updates, long maxSteps = 60, string? checkpoint = null) => new()
    {
        BatchSize = 32,
        LearningRate = 0.01,
        Negatives = NegativeSampling.LogUniform,
        NegativeCount = 64,
        ItemUpdates = updates,
        MaxSteps = maxSteps,
        EvaluateEvery = 20,
        Seed = 7,
        CheckpointDirectory = checkpoint,
    };

    [Theory]
    [InlineData(NegativeSampling.Auto, ItemUpdateMode.Auto, 50_000, ItemUpdateMode.Dense)]       // full softmax
    [InlineData(NegativeSampling.Auto, ItemUpdateMode.Auto, 50_001, ItemUpdateMode.Lazy)]        // sampled, above the limit
    [InlineData(NegativeSampling.LogUniform, ItemUpdateMode.Auto, 50_000, ItemUpdateMode.Dense)] // sampled, small catalogue
    [InlineData(NegativeSampling.Uniform, ItemUpdateMode.Auto, 1_700_000, ItemUpdateMode.Lazy)]
    [InlineData(NegativeSampling.Full, ItemUpdateMode.Auto, 1_700_000, ItemUpdateMode.Dense)]
    [InlineData(NegativeSampling.Full, ItemUpdateMode.Lazy, 1_700_000, ItemUpdateMode.Dense)]    // every row has a gradient
    [InlineData(NegativeSampling.Auto, ItemUpdateMode.Lazy, 12_000, ItemUpdateMode.Dense)]       // auto: full softmax here
    [InlineData(NegativeSampling.LogUniform, ItemUpdateMode.Lazy, 300, ItemUpdateMode.Lazy)]
    [InlineData(NegativeSampling.LogUniform, ItemUpdateMode.Dense, 1_700_000, ItemUpdateMode.Dense)]
    public void ResolveItemUpdates_FollowsTheRule(NegativeSampling negatives, ItemUpdateMode updates, int items, ItemUpdateMode expected)
    {
        var options = new TrainerOptions { Negatives = negatives, ItemUpdates = updates };

        options.ResolveItemUpdates(items).Should().Be(expected);
    }

    [Fact]
    public void Validate_NamesTheOption_ForAnUnknownMode()
    {
        var options = new TrainerOptions { ItemUpdates = (ItemUpdateMode)42 };

        var act = options.Validate;

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName(nameof(TrainerOptions.ItemUpdates));
    }

    [Fact]
    public void Trainer_ResolvesAuto_ByTheCatalogueAgainstTheLimit()
    {
        var options = Options(ItemUpdateMode.Auto);
        options.Negatives = NegativeSampling.Auto;
        using (var small = new MultiInterestTrainer(TinySplit.Value, Config(), options)) small.ItemUpdates.Should().Be(ItemUpdateMode.Dense);
        options.FullSoftmaxItemLimit = 100;   // the 300-item catalogue is now "large"
        using var large = new MultiInterestTrainer(TinySplit.Value, Config(), options);

        large.Softmax.Should().Be(NegativeSampling.LogUniform);
        large.ItemUpdates.Should().Be(ItemUpdateMode.Lazy);
    }

    [Fact]
    public void Fit_DiffersBetweenDenseAndLazy_WithSampledNegatives()
    {
        using var dense = new MultiInterestTrainer(TinySplit.Value, Config(), Options(ItemUpdateMode.Dense, maxSteps: 20));
        using var lazy = new MultiInterestTrainer(TinySplit.Value, Config(), Options(ItemUpdateMode.Lazy, maxSteps: 20));

        var a = dense.Fit();
        var b = lazy.Fit();

        lazy.ItemUpdates.Should().Be(ItemUpdateMode.Lazy);
        b.History.Select(h => h.Loss).Should().NotEqual(a.History.Select(h => h.Loss));
        b.History[^1].Loss.Should().BeApproximately(a.History[^1].Loss, 0.5 * a.History[^1].Loss, "both train the same model");
    }

    [Fact]
    public void Resume_OfALazyRun_ReachesExactlyTheMetricsOfAnUninterruptedOne()
    {
        using var dir = new TempDir();
        TrainingResult uninterrupted;
        using (var straight = new MultiInterestTrainer(TinySplit.Value, Config(), Options(ItemUpdateMode.Lazy, 100, Path.Combine(dir.Path, "a"))))
            uninterrupted = straight.Fit();

        var checkpoint = Path.Combine(dir.Path, "b");
        using (var first = new MultiInterestTrainer(TinySplit.Value, Config(), Options(ItemUpdateMode.Lazy, 40, checkpoint))) first.Fit();
        using var resumed = MultiInterestTrainer.Resume(checkpoint, TinySplit.Value, maxSteps: 100);
        resumed.ItemUpdates.Should().Be(ItemUpdateMode.Lazy);
        var result = resumed.Fit();

        result.Steps.Should().Be(100);
        result.Test.Should().Equal(uninterrupted.Test!);
        result.BestStep.Should().Be(uninterrupted.BestStep);
        result.History.Select(h => h.Loss).Should().Equal(uninterrupted.History.Select(h => h.Loss));
    }

    public static TheoryData<string> Objectives => new() { "main", "re4", "remi" };

    /// <summary>The default objective's lazy steps run on the batch's rows gathered into a small table; an objective of
    /// one's own (the same objective, built outside the trainer) keeps the table path, whose gradient is the whole
    /// table's. Both must give the same losses and weights bit for bit: the rows hold the table's values and each row's
    /// gradient sums the same uses in the same order.</summary>
    [Theory]
    [MemberData(nameof(Objectives))]
    public void GatheredRows_TrainBitForBit_AsTheWholeTablePath(string objective)
    {
        var flows = objective switch
        {
            "re4" => BackwardFlowOptions.Reference,
            "remi" => new BackwardFlowOptions { Routing = new RoutingRegularizationOptions() },
            _ => new BackwardFlowOptions(),
        };
        var hard = objective == "remi" ? new HardNegativeOptions { Beta = 1 } : null;
        var gathered = Options(ItemUpdateMode.Lazy, maxSteps: 30);
        gathered.WeightDecay = 1e-3;   // decay applies to the used rows only, on both paths
        gathered.BackwardFlows = flows;
        gathered.HardNegatives = hard;
        using var a = new MultiInterestTrainer(TinySplit.Value, Config(), gathered);

        // The trainer builds the model, then the objective, after seeding torch's generator: the same here.
        manual_seed(gathered.Seed);
        var model = new MultiInterestModel(Config());
        var own = new MultiInterestObjective(Config(), flows, null, hard);
        var tablePath = Options(ItemUpdateMode.Lazy, maxSteps: 30);
        tablePath.WeightDecay = 1e-3;
        using var b = new MultiInterestTrainer(TinySplit.Value, model, own, tablePath);

        var ra = a.Fit();
        var rb = b.Fit();

        a.ItemUpdates.Should().Be(ItemUpdateMode.Lazy);
        a.Model.ItemEmbeddings.grad.Should().BeNull("the gathered path never puts the table itself in the graph");
        b.Model.ItemEmbeddings.grad.Should().NotBeNull("the table path's backward writes the table's gradient");
        ra.History.Select(h => h.Loss).Should().Equal(rb.History.Select(h => h.Loss));
        ra.Test.Should().Equal(rb.Test!);
        var wa = a.Model.state_dict();
        var wb = b.Model.state_dict();
        wa.Keys.Should().Equal(wb.Keys);
        foreach (var (name, w) in wa) w.allclose(wb[name], rtol: 0, atol: 0).Should().BeTrue($"{name} must be the same bit for bit");
    }

    /// <summary>A flow that reads the model's table directly (not its context): its gradient cannot reach the gathered rows.</summary>
    private sealed class TableReadingFlow(MultiInterestModel model) : IBackwardFlow
    {
        public string Name => "table-reader";

        public Tensor ComputeLoss(BackwardFlowContext context) => model.ItemEmbeddings.narrow(0, 1, 2).square().sum();
    }

    [Fact]
    public void LazyStep_Throws_WhenAFlowReachesTheTableItself()
    {
        manual_seed(7);
        var model = new MultiInterestModel(Config());
        var options = Options(ItemUpdateMode.Lazy, maxSteps: 3);
        options.CustomFlows = [new WeightedBackwardFlow(new TableReadingFlow(model), 1)];
        using var trainer = new MultiInterestTrainer(TinySplit.Value, model, options);

        var act = () => trainer.Fit();

        act.Should().Throw<InvalidOperationException>().WithMessage("*reached the item table itself*Dense*");
    }

    /// <summary>Σ X, padding rows included.</summary>
    private sealed class HistorySumFlow : IBackwardFlow
    {
        public string Name => "history-sum";

        public Tensor ComputeLoss(BackwardFlowContext context) => context.History.sum();
    }

    [Fact]
    public void GatheredRows_ReadTheTablesOwnPaddingRow_AsTheEmbeddingDoes()
    {
        // nn.Embedding's padding_idx stops row 0's gradient but returns whatever row 0 holds; the gathered table must too.
        MultiInterestModel Model()
        {
            manual_seed(7);
            var model = new MultiInterestModel(Config());
            using (no_grad()) model.ItemEmbeddings[0].fill_(0.25);
            return model;
        }

        // The encoders mask padded positions out, so only a flow that reads X whole sees the padding row's value.
        WeightedBackwardFlow[] flows = [new WeightedBackwardFlow(new HistorySumFlow(), 0.01)];
        var options = Options(ItemUpdateMode.Lazy, maxSteps: 20);
        options.CustomFlows = flows;
        using var a = new MultiInterestTrainer(TinySplit.Value, Model(), options);
        using var b = new MultiInterestTrainer(TinySplit.Value, Model(), new MultiInterestObjective(Config(), null, flows), Options(ItemUpdateMode.Lazy, maxSteps: 20));

        var ra = a.Fit();
        var rb = b.Fit();

        ra.History.Select(h => h.Loss).Should().Equal(rb.History.Select(h => h.Loss));
        a.Model.ItemEmbeddings.allclose(b.Model.ItemEmbeddings, rtol: 0, atol: 0).Should().BeTrue();
        a.Model.ItemEmbeddings[0].data<float>().ToArray().Should().AllBeEquivalentTo(0.25f, "the padding row gets no update");
    }
}
