using System.Text;
using Re4.Recommenders.Data;
using Re4.Recommenders.Data.Formats;

namespace Re4.Recommenders.Tests.Data;

/// <summary>Issue 11, item 8: every id that fits a <see cref="long"/> loads as a number and every timestamp that fits a
/// long loads. Where a format allows text ids (docs/data.md), an id beyond a long or with leading zeros is kept as text,
/// exactly as written; where ids are integers by definition (MovieLens, Taobao's category), one digit more is an error
/// that says the value is too large (not that it is no number).</summary>
public sealed class LongValueTests
{
    private static SequenceDataset Load(InteractionReader reader, string text) =>
        InteractionFileReader.Load(new MemoryStream(Encoding.UTF8.GetBytes(text)), "t.csv", new LoadOptions { Reader = reader }, out _);

    [Theory]
    [InlineData("9223372036854775807")]      // long.MaxValue: 19 digits
    [InlineData("1000000000000000000")]      // the smallest 19-digit id
    public void Load_AcceptsEveryIdThatFitsALong(string id)
    {
        var expected = long.Parse(id, System.Globalization.CultureInfo.InvariantCulture);

        var csv = Load(new ComiRecCsvReader(), $"{id},{id},1\n{id},5,2\n");
        var sequence = Load(new SequencePerLineReader(), $"{id} {id} 5\n");

        csv.OriginalUserId(0).Should().Be(expected);
        csv.OriginalItemId(csv.Sequence(0)[0]).Should().Be(expected);
        sequence.OriginalUserId(0).Should().Be(expected);
        sequence.OriginalItemId(sequence.Sequence(0)[0]).Should().Be(expected);
    }

    [Theory]
    [InlineData("9223372036854775807")]
    [InlineData("-9223372036854775808")]     // long.MinValue: one more in magnitude than MaxValue
    [InlineData("1700000000123456789")]      // a nanosecond Unix timestamp
    [InlineData("-1")]
    public void Load_AcceptsEveryTimestampThatFitsALong(string time)
    {
        // The second line's timestamp is 0: the order within the user shows the value was read with its sign.
        var data = Load(new ComiRecCsvReader(), $"1,10,{time}\n1,20,0\n");

        var value = long.Parse(time, System.Globalization.CultureInfo.InvariantCulture);
        var first = value < 0 ? 10 : 20;
        data.OriginalItemId(data.Sequence(0)[0]).Should().Be(first);
        Load(new MovieLensDatReader(), $"1::10::5::{time}\n").InteractionCount.Should().Be(1);
    }

    [Theory]
    [InlineData("9223372036854775808")]      // long.MaxValue + 1
    [InlineData("99999999999999999999")]
    [InlineData("00000000000000000000042")]  // leading zeros: not how 42 prints, so not the number 42
    public void Load_KeepsAnIdThatIsNoLongAsText_WhereTheFormatAllowsText(string id)
    {
        var csv = Load(new ComiRecCsvReader(), $"{id},{id},1\n{id},5,2\n");
        var sequence = Load(new SequencePerLineReader(), $"1 2 {id}\n");

        csv.UserIds[0].Should().Be(id);
        csv.ItemIds[csv.Sequence(0)[0]].Should().Be(id);
        sequence.ItemIds[sequence.Sequence(0)[1]].Should().Be(id);
    }

    [Theory]
    [InlineData("9223372036854775808")]      // long.MaxValue + 1
    [InlineData("99999999999999999999")]
    public void Load_ThrowsTooLargeForAnIdBeyondLong_WhereIdsAreIntegers(string id)
    {
        var item = () => Load(new MovieLensTsvReader(), $"1\t{id}\t5\t1\n");
        var category = () => Load(new TaobaoCsvReader(), $"1,2,{id},pv,1\n");

        item.Should().Throw<DataFormatException>().WithMessage("*item id in field 2*is too large*9223372036854775807*");
        category.Should().Throw<DataFormatException>().WithMessage("*category id in field 3*is too large*");
    }

    [Theory]
    [InlineData("9223372036854775808")]
    [InlineData("-9223372036854775809")]     // long.MinValue - 1
    public void Load_ThrowsOutOfRangeForATimestampBeyondLong(string time)
    {
        var act = () => Load(new ComiRecCsvReader(), $"1,1,{time}\n");

        act.Should().Throw<DataFormatException>().WithMessage("*timestamp in field 3*is out of range*-9223372036854775808*");
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("-9223372036854775808")]
    public void Load_ReadsANegativeIdAsANumber_WhereTheFormatAllowsText(string id)
    {
        var data = Load(new ComiRecCsvReader(), $"1,{id},1\n");

        data.OriginalItemId(data.Sequence(0)[0]).Should().Be(long.Parse(id, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("-9223372036854775808")]
    public void Load_ThrowsForANegativeId_WhereIdsAreIntegers(string id)
    {
        var act = () => Load(new MovieLensTsvReader(), $"1\t{id}\t5\t1\n");

        act.Should().Throw<DataFormatException>().WithMessage("*expected a non-negative integer item id in field 2*");
    }
}
