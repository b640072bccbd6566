using Re4.Recommenders.Tuning;

namespace Re4.Recommenders.Tests.Tuning;

public sealed class SuccessiveHalvingScheduleTests
{
    [Theory]
    [InlineData(9, 3, 1000, new[] { 9, 3, 1 }, new long[] { 1000, 3000, 9000 })]
    [InlineData(10, 3, 100, new[] { 10, 3, 1 }, new long[] { 100, 300, 900 })]
    [InlineData(27, 3, 10, new[] { 27, 9, 3, 1 }, new long[] { 10, 30, 90, 270 })]
    [InlineData(4, 2, 50, new[] { 4, 2, 1 }, new long[] { 50, 100, 200 })]
    [InlineData(5, 4, 7, new[] { 5, 1 }, new long[] { 7, 28 })]
    [InlineData(1, 3, 5, new[] { 1 }, new long[] { 5 })]
    public void Rungs_KeepOneInEtaAndMultiplyTheSteps_UntilOneRemains(int n, int eta, long minSteps, int[] configurations, long[] steps)
    {
        var rungs = new SuccessiveHalvingSchedule(n, eta, minSteps).Rungs;

        rungs.Select(r => r.Index).Should().Equal(Enumerable.Range(0, configurations.Length));
        rungs.Select(r => r.Configurations).Should().Equal(configurations);
        rungs.Select(r => r.Steps).Should().Equal(steps);
    }

    [Theory]
    [InlineData(0, 3, 10, "Configurations")]
    [InlineData(9, 1, 10, "ReductionFactor")]
    [InlineData(9, 3, 0, "MinSteps")]
    [InlineData(1000, 10, 1_000_000_000, "MinSteps")]
    public void Validate_ThrowsForABadSchedule(int n, int eta, long minSteps, string name) =>
        new SuccessiveHalvingSchedule(n, eta, minSteps).Invoking(s => s.Validate()).Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be(name);
}
