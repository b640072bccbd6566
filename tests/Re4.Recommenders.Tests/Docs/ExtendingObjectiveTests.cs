using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Data;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Docs;

// Section 4 of docs/extending.md ("A training objective of your own"): its C# blocks are verbatim parts of this file.

/// <summary>Extends the library's objective with a penalty on the interests' squared norms.</summary>
public sealed class InterestNormObjective(ITrainingObjective inner, double weight) : ITrainingObjective
{
    public IReadOnlyList<WeightedBackwardFlow> Flows => inner.Flows;

    public IReadOnlyList<nn.Module> Modules => inner.Modules;   // the re-construct generator, trained and saved

    public Tensor ComputeLoss(TrainingStepContext context, StepLossParts parts)
    {
        var loss = inner.ComputeLoss(context, parts);                    // main + Σ λ·flow; reports main and each flow
        using var two = 2.ToScalar();                                    // square() would pass a temporary 2
        var norm = context.Output.Interests.pow(two).sum(-1).mean();    // mean ‖z_k‖² over [B, K]
        parts.Add("interest_norm", norm);                               // reported, and stops the run if not finite
        using var w = weight.ToScalar();
        using var one = 1.ToScalar();                                    // add's alpha: loss.add(t) would pass a temporary 1
        return loss.add(norm.mul(w), one);
    }
}

public sealed class ExtendingObjectiveTests
{
    [Fact]
    public void InterestNormObjective_TrainsReportsItsTermAndResumes()
    {
        using var dir = new TempDir();
        var data = DatasetPreparation.Prepare(PlantedInterestGenerator.Generate(new SyntheticDataOptions { Users = 300, Items = 100, Topics = 5, Seed = 4 }), DatasetFilter.ComiRec());
        var split = DataSplitter.ComiRec(data, seed: 1);
        var runDirectory = dir.Path;
        var config = new ModelConfig { Encoder = ComiRecSaDescriptor.EncoderName, ItemCount = data.ItemCount, Interests = 2, Dimension = 16 };

        manual_seed(2022);   // the initial weights: the model's, then the re-construct generator's
        var model = new MultiInterestModel(config);
        var objective = new InterestNormObjective(new MultiInterestObjective(config, BackwardFlowOptions.Reference), weight: 0.01);
        var options = new TrainerOptions { MaxSteps = 60, EvaluateEvery = 30, BatchSize = 32, CheckpointDirectory = runDirectory };
        using var trainer = new MultiInterestTrainer(split, model, objective, options);
        var result = trainer.Fit();   // result.History[i].LossParts["interest_norm"]

        // Objectives are not saved: give Resume a way to build yours again (its modules' weights are restored).
        using var resumed = MultiInterestTrainer.Resume(runDirectory, split, maxSteps: 90,
            objective: c => new InterestNormObjective(new MultiInterestObjective(c, BackwardFlowOptions.Reference), weight: 0.01));

        foreach (var record in result.History)
        {
            var p = record.LossParts;
            p.Keys.Should().Equal("main", "contrast", "attend", "construct", "interest_norm", "total");
            p["interest_norm"].Should().BePositive();
            // total = main + Σ λ·flow + 0.01·norm at every step, hence for the means over steps too.
            var expected = p["main"] + 0.1 * p["contrast"] + 0.001 * p["attend"] + 0.1 * p["construct"] + 0.01 * p["interest_norm"];
            p["total"].Should().BeApproximately(expected, 1e-4 * Math.Abs(expected));
        }

        resumed.Step.Should().Be(60);
        resumed.Objective.Should().BeOfType<InterestNormObjective>();
        resumed.Fit().History[^1].LossParts.Should().ContainKey("interest_norm");
    }

    [Fact]
    public void InterestNorm_IsTheMeanSquaredNormOfTheInterests()
    {
        // Z = [[[3, 4], [0, 1]]]: squared norms 25 and 1, mean 13, by hand. The inner objective is a stub returning 2.
        manual_seed(1);
        using var model = new MultiInterestModel(new ModelConfig { Encoder = ComiRecSaDescriptor.EncoderName, ItemCount = 3, Interests = 2, Dimension = 2, MaxLength = 2 });
        using var z = tensor(new float[] { 3, 4, 0, 1 }, [1, 2, 2]);
        using var a = full(1, 2, 2, 0.5f);
        using var logA = a.log();
        using var x = zeros(1, 2, 2);
        using var m = ones(1, 2);
        using var targets = tensor(new long[] { 1 });
        var context = new TrainingStepContext(model, new Re4.Recommenders.Extractors.InterestOutput(z, a, logA), x, m, targets, null, null, null);
        var parts = new StepLossParts();

        using var total = new InterestNormObjective(new ConstantObjective(2f), weight: 0.5).ComputeLoss(context, parts);

        parts.Values.Should().Equal(new KeyValuePair<string, double>("constant", 2), new KeyValuePair<string, double>("interest_norm", 13));
        total.item<float>().Should().Be(2 + 0.5f * 13);
    }

    private sealed class ConstantObjective(float value) : ITrainingObjective
    {
        public IReadOnlyList<WeightedBackwardFlow> Flows => [];

        public IReadOnlyList<nn.Module> Modules => [];

        public Tensor ComputeLoss(TrainingStepContext context, StepLossParts parts)
        {
            var loss = tensor(value);
            parts.Add("constant", loss);
            return loss;
        }
    }
}
