using Re4.Recommenders.Training;

namespace Re4.Recommenders.Tests.Training;

/// <summary>The subtractive generator against System.Random itself (the independent implementation it must equal).</summary>
public sealed class SubtractiveRandomTests
{
    public static TheoryData<int> Seeds => new() { 0, 1, -1, 7, 2022, -987_654, int.MaxValue, int.MinValue, int.MinValue + 1 };

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Next_EqualsSystemRandomOverAMillionDraws_WithABound(int seed)
    {
        var expected = new Random(seed);
        var actual = new SubtractiveRandom(seed);

        // Bounds of every size the samplers use (user counts, sequence lengths), and extremes.
        int[] bounds = [1, 2, 3, 10, 97, 1000, 65_536, 1_000_003, int.MaxValue];
        for (var i = 0; i < 1_000_000; i++)
        {
            var bound = bounds[i % bounds.Length];
            var e = expected.Next(bound);
            var a = actual.Next(bound);
            if (a != e) Assert.Fail($"draw {i} (bound {bound}): {a}, System.Random {e}");
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Next_EqualsSystemRandomOverTwoMillionDraws_InTheRandomCutCallPattern(int seed)
    {
        // The sampler alternates Next(users) and Next(lo, len) with lo = min(4, len − 1).
        var expected = new Random(seed);
        var actual = new SubtractiveRandom(seed);
        for (var i = 0; i < 1_000_000; i++)
        {
            var users = 1 + i % 5000;
            var e1 = expected.Next(users);
            var a1 = actual.Next(users);
            var len = 2 + e1 % 40;
            var lo = Math.Min(4, len - 1);
            var e2 = expected.Next(lo, len);
            var a2 = actual.Next(lo, len);
            if (a1 != e1 || a2 != e2) Assert.Fail($"draw pair {i}: ({a1}, {a2}), System.Random ({e1}, {e2})");
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void NextDoubleAndWideRanges_EqualSystemRandom(int seed)
    {
        var expected = new Random(seed);
        var actual = new SubtractiveRandom(seed);
        for (var i = 0; i < 1_000_000; i++)
        {
            var same = (i % 3) switch
            {
                0 => actual.NextDouble() == expected.NextDouble(),
                1 => actual.Next(-1_000_000_000, 1_000_000_000) == expected.Next(-1_000_000_000, 1_000_000_000),
                _ => actual.Next(-5, -5) == expected.Next(-5, -5),
            };
            if (!same) Assert.Fail($"draw {i} differs");
        }
    }

    [Fact]
    public void State_RoundTripContinuesTheSequence_InAGeneratorSeededOtherwise()
    {
        var original = new SubtractiveRandom(11);
        for (var i = 0; i < 1234; i++) original.Next(100);
        var state = original.State;

        var copy = new SubtractiveRandom(999) { State = state };

        for (var i = 0; i < 10_000; i++) copy.Next(1_000_000).Should().Be(original.Next(1_000_000));
    }

    [Fact]
    public void State_IsACopyThatLaterDrawsDoNotChange()
    {
        var rng = new SubtractiveRandom(3);
        var state = rng.State;
        var values = state.Values.ToArray();

        rng.Next(10);

        state.Values.Should().Equal(values);
        rng.State.Values.Should().NotEqual(values);
    }

    [Fact]
    public void State_ThrowsForInvalidStates()
    {
        var rng = new SubtractiveRandom(1);
        var good = rng.State;

        ((Action)(() => rng.State = good with { Values = new int[54] })).Should().Throw<ArgumentException>().WithParameterName("value");
        ((Action)(() => rng.State = good with { Values = Enumerable.Repeat(int.MaxValue, 55).ToArray() })).Should().Throw<ArgumentException>().WithParameterName("value");
        ((Action)(() => rng.State = good with { Next = 56 })).Should().Throw<ArgumentException>().WithParameterName("value");
        ((Action)(() => rng.State = good with { NextLagged = 0 })).Should().Throw<ArgumentException>().WithParameterName("value");
        ((Action)(() => rng.State = null!)).Should().Throw<ArgumentNullException>();
    }
}
