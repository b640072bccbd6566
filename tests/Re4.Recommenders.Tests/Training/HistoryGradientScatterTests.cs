using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Data;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Training;

public sealed class HistoryGradientScatterTests
{
    /// <summary>Rows of very different magnitudes, several uses per item, padding and a width that is not a whole number of
    /// vectors: a sum in any other order than libtorch's rounds differently.</summary>
    private static (Tensor Table, long[] Ids, Tensor RowGradients, Tensor OtherGradient) Case(int rows, int d, int positions, ulong seed)
    {
        var generator = new Generator(seed);
        var table = randn(new long[] { rows, d }, generator: generator);                                                  // [N + 1, d]
        var ids = randint(0, Math.Min(7, rows), new long[] { positions }, generator: generator).data<long>().ToArray();                 // many repeats
        for (var i = 0; i < ids.Length; i += 5) ids[i] = randint(0, rows, new long[] { 1 }, generator: generator).item<long>();
        var scale = exp(randn(new long[] { positions, 1 }, generator: generator).mul_(6));                             // [P, 1]
        var rowGradients = randn(new long[] { positions, d }, generator: generator).mul_(scale);                       // [P, d]
        var other = randn(new long[] { rows, d }, generator: generator);                                                  // [N + 1, d]
        return (table, ids, rowGradients, other);
    }

    /// <summary>libtorch's own sum: the embedding's backward (padding_idx 0) and another use of the table, through autograd.</summary>
    private static Tensor LibtorchGradient(Tensor table, long[] ids, Tensor rowGradients, Tensor other)
    {
        using var embedding = nn.Embedding(table.shape[0], table.shape[1], padding_idx: 0);
        var weight = embedding.weight!;
        using (no_grad()) weight.copy_(table);
        var x = embedding.forward(tensor(ids));                                 // [P, d]
        var loss = x.mul(rowGradients).sum() + weight.mul(other).sum();         // d/dx = rowGradients, d/dweight = other
        loss.backward();
        return weight.grad!.clone();
    }

    private static int[] Bits(Tensor t) => t.contiguous().data<float>().ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();

    [Theory]
    [InlineData(9, 24, 40)]
    [InlineData(30, 64, 300)]
    [InlineData(5, 3, 12)]
    public void Add_GivesLibtorchsEmbeddingGradientPlusTheOtherGradient_BitForBit(int rows, int d, int positions)
    {
        var (table, ids, rowGradients, other) = Case(rows, d, positions, (ulong)(rows * 1000 + d));
        var expected = LibtorchGradient(table, ids, rowGradients, other);

        var gradient = other.clone();
        new HistoryGradientScatter(rows).Add(gradient, ids, rowGradients.clone());

        Bits(gradient).Should().Equal(Bits(expected));
        Bits(gradient[0]).Should().Equal(Bits(other[0]), "the padding row gets no gradient from the history");
    }

    [Fact]
    public void Add_SumsAnItemsRowsInBatchOrderBeforeAddingThemToTheTable()
    {
        // One item used three times: (1 + 1e8) - 1e8 in that order is 0, and the table's 1 then gives 1; adding each row to the
        // table in turn would give ((1 + 1) + 1e8) - 1e8 = 0, summing backwards (-1e8 + 1e8) + 1 = 1 and then 2.
        var gradient = tensor(new float[] { 0, 0, 1, 1 }, [2, 2]);
        var rows = tensor(new float[] { 1, 1, 1e8f, 1e8f, -1e8f, -1e8f }, [3, 2]);
        new HistoryGradientScatter(2).Add(gradient, [1, 1, 1], rows);
        gradient.data<float>().ToArray().Should().Equal(0f, 0f, 1f, 1f);
    }

    [Fact]
    public void Add_RejectsAnIdOutsideTheTable_AndChangesNothing_ThenWorksAgain()
    {
        var (table, ids, rowGradients, other) = Case(9, 24, 40, 3);
        var scatter = new HistoryGradientScatter(9);
        var gradient = other.clone();
        var rows = rowGradients.clone();
        var bad = (long[])ids.Clone();
        bad[17] = 9;

        var act = () => scatter.Add(gradient, bad, rows);

        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*History id 9 at position 17*9 rows*");
        Bits(gradient).Should().Equal(Bits(other));
        Bits(rows).Should().Equal(Bits(rowGradients));
        scatter.Add(gradient, ids, rows);
        Bits(gradient).Should().Equal(Bits(LibtorchGradient(table, ids, rowGradients, other)), "the marks were left clean");
    }

    [Fact]
    public void Add_RejectsGradientsOfTheWrongShape()
    {
        var scatter = new HistoryGradientScatter(9);
        var wrongTable = () => scatter.Add(zeros(8, 4), [1, 2], zeros(2, 4));
        var wrongRows = () => scatter.Add(zeros(9, 4), [1, 2], zeros(3, 4));

        wrongTable.Should().Throw<ArgumentException>().WithMessage("*[9, d]*[8, 4]*");
        wrongRows.Should().Throw<ArgumentException>().WithMessage("*2 rows of 4*[3, 4]*");
    }

    private static readonly Lazy<DataSplit> TinySplit = new(() =>
    {
        var raw = PlantedInterestGenerator.Generate(new SyntheticDataOptions { Users = 400, Items = 300, Topics = 10, MinLength = 8, MaxLength = 20, Seed = 5 });
        return DataSplitter.ComiRec(DatasetPreparation.Prepare(raw, DatasetFilter.None), seed: 1, maxLength: 10);
    });

    public static TheoryData<string, NegativeSampling> Steps => new()
    {
        { "main", NegativeSampling.Full },
        { "re4", NegativeSampling.Full },
        { "remi", NegativeSampling.Full },
        { "main", NegativeSampling.LogUniform },
        { "re4", NegativeSampling.Uniform },
    };

    /// <summary>Whole dense runs, the trainer adding the history's gradient against libtorch's embedding backward doing it:
    /// the same losses and weights bit for bit.</summary>
    [Theory]
    [MemberData(nameof(Steps))]
    public void DenseTraining_IsBitForBitTheEmbeddingBackwards(string objective, NegativeSampling negatives)
    {
        TrainerOptions Options(bool trainerAdds) => new()
        {
            BatchSize = 32,
            LearningRate = 0.01,
            WeightDecay = 1e-3,
            Negatives = negatives,
            NegativeCount = 64,
            ItemUpdates = ItemUpdateMode.Dense,
            MaxSteps = 30,
            EvaluateEvery = 15,
            Seed = 7,
            BackwardFlows = objective switch
            {
                "re4" => BackwardFlowOptions.Reference,
                "remi" => new BackwardFlowOptions { Routing = new RoutingRegularizationOptions() },
                _ => new BackwardFlowOptions(),
            },
            HardNegatives = objective == "remi" ? new HardNegativeOptions { Beta = 1 } : null,
            TrainerAddsHistoryGradient = trainerAdds,
        };
        var config = new ModelConfig { Encoder = ComiRecSaDescriptor.EncoderName, ItemCount = TinySplit.Value.Dataset.ItemCount, Dimension = 16, Interests = 3, MaxLength = 10 };
        using var ours = new MultiInterestTrainer(TinySplit.Value, config, Options(trainerAdds: true));
        using var torchs = new MultiInterestTrainer(TinySplit.Value, config, Options(trainerAdds: false));

        var a = ours.Fit();
        var b = torchs.Fit();

        ours.AddsHistoryGradient.Should().BeTrue();
        torchs.AddsHistoryGradient.Should().BeFalse();
        a.History.Select(h => h.Loss).Should().Equal(b.History.Select(h => h.Loss));
        a.Test.Should().Equal(b.Test!);
        var wa = ours.Model.state_dict();
        var wb = torchs.Model.state_dict();
        foreach (var (name, w) in wa) Bits(w.detach()).Should().Equal(Bits(wb[name].detach()), $"{name} must be the same bit for bit");
    }

    /// <summary>A table frozen after the trainer was built gets no gradient through the history, as through libtorch's gather:
    /// Adam leaves it as it was.</summary>
    [Fact]
    public void DenseTraining_LeavesATableFrozenAfterConstruction_Unchanged()
    {
        var config = new ModelConfig { Encoder = ComiRecSaDescriptor.EncoderName, ItemCount = TinySplit.Value.Dataset.ItemCount, Dimension = 16, Interests = 3, MaxLength = 10 };
        var options = new TrainerOptions { BatchSize = 32, Negatives = NegativeSampling.Full, ItemUpdates = ItemUpdateMode.Dense, MaxSteps = 10, EvaluateEvery = 10, Seed = 3 };
        using var trainer = new MultiInterestTrainer(TinySplit.Value, config, options);
        trainer.AddsHistoryGradient.Should().BeTrue();
        trainer.Model.ItemEmbeddings.requires_grad_(false);
        var before = trainer.Model.ItemEmbeddings.detach().clone();

        trainer.Fit();

        Bits(trainer.Model.ItemEmbeddings.detach()).Should().Equal(Bits(before));
        trainer.Model.ItemEmbeddings.grad.Should().BeNull();
    }
}
