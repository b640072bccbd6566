using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Tests.Extractors;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.BackwardFlows;

/// <summary><see cref="FlowScaling.Normalized"/>: re-attend and re-construct see Z and X rescaled to norm √d. Checked
/// against the naive losses fed with vectors rescaled by hand (in double), and for invariance: multiplying Z and X by c
/// leaves the normalised losses unchanged, while the reference losses move with c.</summary>
public sealed class FlowScalingTests
{
    private static readonly FlowShape Shape = new(B: 3, K: 3, L: 5, D: 4, Lengths: [5, 3, 2]);

    /// <summary>Each d-vector of <paramref name="v"/> rescaled to norm √d by hand; zero vectors (padding) stay zero.</summary>
    private static double[] Rescaled(double[] v, int d)
    {
        var result = new double[v.Length];
        for (var start = 0; start < v.Length; start += d)
        {
            var norm = 0.0;
            for (var i = 0; i < d; i++) norm += v[start + i] * v[start + i];
            norm = Math.Sqrt(norm);
            if (norm == 0) continue;
            for (var i = 0; i < d; i++) result[start + i] = v[start + i] / norm * Math.Sqrt(d);
        }

        return result;
    }

    private static FlowCase Scaled(FlowCase c, float factor) =>
        new(c.Shape, c.Z.Select(v => v * factor).ToArray(), c.X.Select(v => v * factor).ToArray(), c.A, c.LogA);

    private static ReConstructFlow Generator(ReConstructOptions options)
    {
        manual_seed(5);
        return new ReConstructFlow(Shape.D, Shape.L, options);
    }

    private static double AttendLoss(FlowCase c, FlowScaling scaling)
    {
        using var scope = NewDisposeScope();
        var (context, _, _, _) = c.Tensors();
        return new ReAttendFlow(new ReAttendOptions { Scaling = scaling }).ComputeLoss(context).item<float>();
    }

    private static double ConstructLoss(FlowCase c, FlowScaling scaling)
    {
        using var flow = Generator(new ReConstructOptions { Scaling = scaling });
        using var scope = NewDisposeScope();
        var (context, _, _, _) = c.Tensors();
        return flow.ComputeLoss(context).item<float>();
    }

    [Fact]
    public void ReAttend_Normalized_MatchesTheNaiveLossOnRescaledVectors()
    {
        var c = FlowCase.Random(Shape, seed: 61, scale: 0.3);
        using var scope = NewDisposeScope();
        var (context, _, _, _) = c.Tensors();
        var loss = new ReAttendFlow(new ReAttendOptions { Scaling = FlowScaling.Normalized }).ComputeLoss(context);
        FlowAssert.LossClose(loss, NaiveFlows.Attend(Shape, Rescaled(c.Zd, Shape.D), Rescaled(c.Xd, Shape.D), c.LogAd), "normalized re-attend");
    }

    [Fact]
    public void ReConstruct_Normalized_MatchesTheNaiveLossOnRescaledVectors()
    {
        var c = FlowCase.Random(Shape, seed: 62, scale: 0.3);
        var options = new ReConstructOptions { Scaling = FlowScaling.Normalized };
        using var flow = Generator(options);
        using var scope = NewDisposeScope();
        var (context, _, _, _) = c.Tensors();
        var loss = flow.ComputeLoss(context);
        var expected = NaiveFlows.Construct(Shape, Naive.Parameters(flow), Rescaled(c.Zd, Shape.D), Rescaled(c.Xd, Shape.D), c.Ad, options);
        FlowAssert.LossClose(loss, expected, "normalized re-construct");
    }

    [Theory]
    [InlineData(0.01f)]
    [InlineData(8f)]
    public void NormalizedLosses_DoNotChange_WhenTheEmbeddingsAreScaled(float factor)
    {
        var c = FlowCase.Random(Shape, seed: 63);
        var scaled = Scaled(c, factor);
        AttendLoss(scaled, FlowScaling.Normalized).Should().BeApproximately(AttendLoss(c, FlowScaling.Normalized), 1e-4);
        ConstructLoss(scaled, FlowScaling.Normalized).Should().BeApproximately(ConstructLoss(c, FlowScaling.Normalized), 1e-4);
    }

    [Fact]
    public void ReferenceLosses_Change_WhenTheEmbeddingsAreScaled()
    {
        // What the option removes: under the reference scaling the same case at a tenth of the scale is another loss.
        var c = FlowCase.Random(Shape, seed: 64);
        var small = Scaled(c, 0.1f);
        var construct = ConstructLoss(c, FlowScaling.Reference);
        Math.Abs(ConstructLoss(small, FlowScaling.Reference) - construct).Should().BeGreaterThan(0.1 * construct);
        var attend = AttendLoss(c, FlowScaling.Reference);
        Math.Abs(AttendLoss(small, FlowScaling.Reference) - attend).Should().BeGreaterThan(0.01 * attend);
    }

    [Fact]
    public void Scaling_IsValidated_WithItsName()
    {
        var attend = () => new ReAttendFlow(new ReAttendOptions { Scaling = (FlowScaling)7 });
        attend.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("Scaling");
        var construct = () => new ReConstructFlow(4, 5, new ReConstructOptions { Scaling = (FlowScaling)7 });
        construct.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("Scaling");
    }
}
