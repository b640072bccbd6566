using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Training;
using Re4.Recommenders.Tuning;

namespace Re4.Recommenders.Tests.Tuning;

public sealed class SearchSpaceTests
{
    [Fact]
    public void Sample_DrawsLogUniformValues_RoundedToThreeDigits()
    {
        var range = new SearchRange(0.001, 10);
        var random = new Random(4);
        var expected = new Random(4);

        for (var i = 0; i < 200; i++)
        {
            var value = range.Sample(random);
            var exact = Math.Pow(10, -3 + 4 * expected.NextDouble());   // log-uniform over four decades
            value.Should().BeInRange(0.001, 10);
            value.Should().BeApproximately(exact, exact * 0.005 + 1e-15);
            value.ToString("R", System.Globalization.CultureInfo.InvariantCulture).TrimStart('0', '.').Replace(".", string.Empty).TrimStart('0').Split('E')[0].Length
                .Should().BeLessThanOrEqualTo(3);
        }
    }

    [Fact]
    public void Sample_DrawsLinearValues_BetweenTheEnds()
    {
        var range = new SearchRange(2, 4, SearchScale.Linear);
        var random = new Random(1);
        var expected = new Random(1);

        for (var i = 0; i < 100; i++) range.Sample(random).Should().BeApproximately(2 + 2 * expected.NextDouble(), 0.006);
    }

    [Fact]
    public void Sample_FixesAParameter_WhenTheEndsAreEqual() =>
        new SearchRange(0.2, 0.2).Sample(new Random(1)).Should().Be(0.2);

    [Theory]
    [InlineData(0, 1, SearchScale.Log)]
    [InlineData(-1, 1, SearchScale.Log)]
    [InlineData(2, 1, SearchScale.Linear)]
    [InlineData(double.NaN, 1, SearchScale.Linear)]
    public void Validate_ThrowsForABadRange(double low, double high, SearchScale scale) =>
        new SearchRange(low, high, scale).Invoking(r => r.Validate("tau")).Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("tau");

    [Fact]
    public void SampleOfASpace_IsTheSameForTheSameSeed_AndDrawsParametersInEnumOrder()
    {
        var space = new SearchSpace(new Dictionary<TunedParameter, SearchRange>
        {
            [TunedParameter.LearningRate] = new(0.001, 0.01),
            [TunedParameter.Temperature] = new(0.1, 1, SearchScale.Linear),
        });

        var configurations = space.Sample(3, seed: 8);

        configurations.Should().BeEquivalentTo(space.Sample(3, seed: 8));
        var random = new Random(8);
        foreach (var c in configurations)
        {
            c[TunedParameter.Temperature].Should().Be(new SearchRange(0.1, 1, SearchScale.Linear).Sample(random));
            c[TunedParameter.LearningRate].Should().Be(new SearchRange(0.001, 0.01).Sample(random));
        }
    }

    [Fact]
    public void Apply_SetsTheValues_OnACopy()
    {
        var options = new TrainerOptions { BackwardFlows = BackwardFlowOptions.Reference, BatchSize = 64, Seed = 3 };

        var tuned = SearchSpace.Apply(options, new Dictionary<TunedParameter, double>
        {
            [TunedParameter.Temperature] = 0.5,
            [TunedParameter.LambdaContrast] = 0.2,
            [TunedParameter.LambdaAttend] = 0.03,
            [TunedParameter.LambdaConstruct] = 0.4,
            [TunedParameter.LearningRate] = 0.005,
        });

        tuned.BackwardFlows.Contrast.Should().Be(new ReContrastOptions { Temperature = 0.5, Weight = 0.2 });
        tuned.BackwardFlows.Attend.Should().Be(new ReAttendOptions { Weight = 0.03 });
        tuned.BackwardFlows.Construct.Should().Be(new ReConstructOptions { Weight = 0.4 });
        tuned.LearningRate.Should().Be(0.005);
        (tuned.BatchSize, tuned.Seed).Should().Be((64, 3));
        options.LearningRate.Should().Be(new TrainerOptions().LearningRate);
        options.BackwardFlows.Should().Be(BackwardFlowOptions.Reference);
    }

    [Fact]
    public void Apply_ThrowsForAFlowTheOptionsLack() =>
        FluentActions.Invoking(() => SearchSpace.Apply(new TrainerOptions(), new Dictionary<TunedParameter, double> { [TunedParameter.LambdaAttend] = 0.1 }))
            .Should().Throw<ArgumentException>().Which.ParamName.Should().Be("values");
}
