using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Data;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Training;

/// <summary>
/// GPU readiness without a GPU: every tensor a training step creates must be created on the model's device. The steps
/// run on the CPU with torch's default device set to <c>meta</c>, so a tensor made without <c>device:</c> lands on
/// <c>meta</c> and the first operation mixing it with the model's tensors throws, as it would on CUDA; afterwards every
/// tensor the step leaves behind (weights, gradients, Adam's moments) must be on the CPU.
/// </summary>
public sealed class StepDeviceTests
{
    private static readonly Device Meta = new(DeviceType.META);

    private static readonly Lazy<DataSplit> TinySplit = new(() =>
    {
        var raw = PlantedInterestGenerator.Generate(new SyntheticDataOptions { Users = 300, Items = 200, Topics = 8, MinLength = 6, MaxLength = 16, Seed = 3 });
        return DataSplitter.ComiRec(DatasetPreparation.Prepare(raw, DatasetFilter.None), seed: 1, maxLength: 8);
    });

    private static ModelConfig Config(string encoder) =>
        new() { Encoder = encoder, ItemCount = TinySplit.Value.Dataset.ItemCount, Dimension = 8, Interests = encoder is YouTubeDnnDescriptor.EncoderName or Gru4RecDescriptor.EncoderName ? 1 : 3, MaxLength = 8 };

    private static TrainerOptions Options(NegativeSampling negatives, bool flows, IReadOnlyList<WeightedBackwardFlow>? custom = null) => new()
    {
        BatchSize = 16,
        Negatives = negatives,
        NegativeCount = negatives == NegativeSampling.Full ? null : 40,
        MaxSteps = 3,
        Seed = 5,
        BackwardFlows = flows
            ? new BackwardFlowOptions { Contrast = new ReContrastOptions(), Attend = new ReAttendOptions(), Construct = new ReConstructOptions() }
            : new BackwardFlowOptions(),
        CustomFlows = custom ?? [],
    };

    /// <summary>Takes two steps with torch's default device set to <c>meta</c> (restored after).</summary>
    private static void StepsWithMetaDefault(MultiInterestTrainer trainer)
    {
        var before = get_default_device();
        set_default_device(Meta);
        try
        {
            trainer.Profile(steps: 2, warmupSteps: 0);
        }
        finally
        {
            set_default_device(before);
        }
    }

    [Theory]
    [InlineData(ComiRecSaDescriptor.EncoderName, NegativeSampling.Full, true)]
    [InlineData(ComiRecSaDescriptor.EncoderName, NegativeSampling.LogUniform, false)]
    [InlineData(ComiRecSaDescriptor.EncoderName, NegativeSampling.Uniform, true)]
    [InlineData(ComiRecDrDescriptor.EncoderName, NegativeSampling.LogUniform, true)]
    [InlineData(MindDescriptor.EncoderName, NegativeSampling.LogUniform, true)]
    [InlineData(YouTubeDnnDescriptor.EncoderName, NegativeSampling.LogUniform, false)]
    [InlineData(Gru4RecDescriptor.EncoderName, NegativeSampling.Full, false)]
    [InlineData(ComiRecSaDescriptor.EncoderName, NegativeSampling.LogUniform, true, ItemUpdateMode.Lazy)]   // the gathered item rows
    [InlineData(MindDescriptor.EncoderName, NegativeSampling.Uniform, false, ItemUpdateMode.Lazy)]
    public void TrainStep_CreatesEveryTensorOnTheModelsDevice(string encoder, NegativeSampling negatives, bool flows, ItemUpdateMode updates = ItemUpdateMode.Auto)
    {
        var options = Options(negatives, flows);
        options.ItemUpdates = updates;
        using var trainer = new MultiInterestTrainer(TinySplit.Value, Config(encoder), options);
        trainer.ItemUpdates.Should().Be(updates == ItemUpdateMode.Lazy ? ItemUpdateMode.Lazy : ItemUpdateMode.Dense);

        StepsWithMetaDefault(trainer);

        trainer.Step.Should().Be(2);
        var tensors = trainer.Model.parameters().Concat(trainer.Flows.Select(f => f.Flow).OfType<nn.Module>().SelectMany(m => m.parameters())).ToList();
        tensors.Should().NotBeEmpty();
        foreach (var p in tensors)
        {
            p.device_type.Should().Be(DeviceType.CPU);
            if (p.grad is { } grad) grad.device_type.Should().Be(DeviceType.CPU);
        }

        trainer.Model.Extractor.parameters().All(p => p.grad is not null).Should().BeTrue("the step back-propagated into the extractor");
    }

    [Fact]
    public void TrainStep_Fails_WhenAFlowCreatesATensorWithoutADevice()
    {
        // The check must catch the mistake it exists for: torch.zeros(n) with no device: would be a CPU tensor on CUDA.
        var careless = new WeightedBackwardFlow(new CarelessFlow(), 1);
        using var trainer = new MultiInterestTrainer(TinySplit.Value, Config(ComiRecSaDescriptor.EncoderName), Options(NegativeSampling.LogUniform, false, [careless]));

        var step = () => StepsWithMetaDefault(trainer);

        step.Should().Throw<Exception>().WithMessage("*device*");
        get_default_device().type.Should().Be(DeviceType.CPU, "the check restores the default device");
    }

    [Fact]
    public void TrainStep_Succeeds_WhenTheSameFlowNamesTheDevice()
    {
        var careful = new WeightedBackwardFlow(new CarelessFlow(useInputDevice: true), 1);
        using var trainer = new MultiInterestTrainer(TinySplit.Value, Config(ComiRecSaDescriptor.EncoderName), Options(NegativeSampling.LogUniform, false, [careful]));

        StepsWithMetaDefault(trainer);

        trainer.Step.Should().Be(2);
    }

    /// <summary>A flow whose loss is mean(Z) + 0·Σ zeros(K): correct on the CPU, wrong on CUDA unless the zeros are made
    /// on the interests' device.</summary>
    private sealed class CarelessFlow(bool useInputDevice = false) : IBackwardFlow
    {
        public string Name => "careless";

        public Tensor ComputeLoss(BackwardFlowContext context)
        {
            var k = context.Interests.shape[1];
            var zeros = useInputDevice ? torch.zeros(k, device: context.Interests.device) : torch.zeros(k);   // [K]
            return context.Interests.mean().Plus(zeros.sum());
        }
    }
}
