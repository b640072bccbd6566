using Re4.Recommenders.BackwardFlows;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.BackwardFlows;

/// <summary>The restructured flows (shared padding and positives, re-contrast's scores scaled and masked once, in-place
/// operations) against their previous formulation (<see cref="PreviousFlowFormulations"/>), bit for bit: the loss and the
/// gradients of Z, X and log A, and re-construct's parameters' gradients; alone and sharing one
/// <see cref="FlowSharedInputs"/> as the objective runs them. Shapes as in training (K 4, L 20, d 64), ragged histories.</summary>
public sealed class FlowRestructuringTests
{
    private static readonly FlowShape Shape = new(B: 12, K: 4, L: 20, D: 64, Lengths: [20, 1, 7, 13, 20, 2, 19, 5, 11, 20, 3, 16]);

    private static readonly Dictionary<string, Func<IBackwardFlow>> NewFlows = new()
    {
        ["contrast"] = () => new ReContrastFlow(),
        ["contrast-own-batch"] = () => new ReContrastFlow(new ReContrastOptions { NeighbourNegatives = false, Normalization = FlowNormalization.Positives }),
        ["contrast-fixed"] = () => new ReContrastFlow(new ReContrastOptions { Threshold = PositiveThreshold.Fixed, FixedThreshold = 0.08 }),
        ["attend"] = () => new ReAttendFlow(),
        ["attend-normalized"] = () => new ReAttendFlow(new ReAttendOptions { Scaling = FlowScaling.Normalized }),
        ["construct"] = () => Generator(new ReConstructOptions()),
        ["construct-normalized"] = () => Generator(new ReConstructOptions { Scaling = FlowScaling.Normalized, Normalization = FlowNormalization.Positives }),
    };

    private static ReConstructFlow Generator(ReConstructOptions options)
    {
        manual_seed(7);
        return new ReConstructFlow(Shape.D, Shape.L, options);
    }

    private static Tensor Previous(IBackwardFlow flow, BackwardFlowContext context) => flow switch
    {
        ReContrastFlow c => PreviousFlowFormulations.Contrast(context, c.Options),
        ReAttendFlow a => PreviousFlowFormulations.Attend(context, a.Options),
        ReConstructFlow g => PreviousFlowFormulations.Construct(context, g.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter), Shape.L, g.Options),
        _ => throw new ArgumentException(flow.Name),
    };

    /// <summary>The loss and every gradient of one evaluation, as float arrays.</summary>
    private static List<float[]> LossAndGradients(FlowCase c, IReadOnlyList<IBackwardFlow> flows, Func<IBackwardFlow, BackwardFlowContext, Tensor> compute, bool share)
    {
        using var scope = NewDisposeScope();
        var (context, z, x, logA) = c.Tensors(grad: true, logAGrad: true);
        var shared = share ? new FlowSharedInputs(context) : null;
        if (shared is not null) context = context with { Shared = shared };
        var total = flows.Select(f => compute(f, context)).Aggregate((a, b) => a.Plus(b));
        shared?.Dispose();   // before backward, as the objective does: the graph keeps what it needs
        total.backward();
        var result = new List<float[]> { total.data<float>().ToArray(), z.grad!.data<float>().ToArray(), x.grad!.data<float>().ToArray() };
        if (logA.grad is { } g) result.Add(g.data<float>().ToArray());
        foreach (var flow in flows.OfType<ReConstructFlow>())
        {
            foreach (var p in flow.parameters())
            {
                result.Add(p.grad!.data<float>().ToArray());
                p.grad.zero_();
            }
        }

        return result;
    }

    private static void SameBits(List<float[]> actual, List<float[]> expected)
    {
        actual.Should().HaveSameCount(expected);
        for (var i = 0; i < expected.Count; i++)
        {
            var a = actual[i].Select(BitConverter.SingleToInt32Bits);
            var e = expected[i].Select(BitConverter.SingleToInt32Bits);
            a.Should().Equal(e, $"tensor {i} (0: loss, 1: dZ, 2: dX, then d log A and the generator's parameters)");
        }
    }

    [Theory]
    [InlineData("contrast")]
    [InlineData("contrast-own-batch")]
    [InlineData("contrast-fixed")]
    [InlineData("attend")]
    [InlineData("attend-normalized")]
    [InlineData("construct")]
    [InlineData("construct-normalized")]
    public void ComputeLoss_MatchesThePreviousFormulationBitForBit(string name)
    {
        var c = FlowCase.Random(Shape, seed: 83);
        var flow = NewFlows[name]();
        var expected = LossAndGradients(c, [flow], Previous, share: false);
        var actual = LossAndGradients(c, [flow], (f, ctx) => f.ComputeLoss(ctx), share: false);
        actual[1].Should().Contain(v => v != 0, "the case must exercise the gradient");
        SameBits(actual, expected);
    }

    [Fact]
    public void ComputeLoss_SharingTheStepsInputs_MatchesThePreviousFormulationBitForBit()
    {
        var c = FlowCase.Random(Shape, seed: 84);
        IBackwardFlow[] flows = [NewFlows["contrast"](), NewFlows["attend"](), NewFlows["construct"]()];
        var expected = LossAndGradients(c, flows, Previous, share: false);
        var actual = LossAndGradients(c, flows, (f, ctx) => f.ComputeLoss(ctx), share: true);
        SameBits(actual, expected);
    }

    [Fact]
    public void Positives_AreComputedOnce_ForFlowsWithTheSameThreshold()
    {
        var c = FlowCase.Random(Shape, seed: 85);
        using var scope = NewDisposeScope();
        var (context, _, _, _) = c.Tensors();
        using var shared = new FlowSharedInputs(context);
        var first = shared.Positives(PositiveThreshold.Adaptive, 0.1).Positives;
        shared.Positives(PositiveThreshold.Adaptive, 0.3).Positives.Handle.Should().Be(first.Handle, "the adaptive threshold ignores the fixed value");
        shared.Positives(PositiveThreshold.Fixed, 0.1).Positives.Handle.Should().NotBe(first.Handle);
        var expected = Positives.Of(context.Attention, context.Mask, PositiveThreshold.Adaptive, 0.1);
        first.eq(expected).all().item<bool>().Should().BeTrue();
    }
}
