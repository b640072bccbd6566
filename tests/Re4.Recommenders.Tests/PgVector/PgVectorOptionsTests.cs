using Re4.Recommenders.PgVector;

namespace Re4.Recommenders.Tests.PgVector;

/// <summary>Option checks that name the option, and where connection strings come from (no database needed).</summary>
public sealed class PgVectorOptionsTests
{
    [Theory]
    [InlineData(0, 256, 4, "EfSearch")]
    [InlineData(1001, 256, 4, "EfSearch")]
    [InlineData(100, 0, 4, "UsersPerStatement")]
    [InlineData(100, 256, 0, "MaxParallelStatements")]
    public void Validate_ThrowsNamingTheOption(int efSearch, int usersPerStatement, int parallel, string option)
    {
        var options = new PgVectorOptions { EfSearch = efSearch, UsersPerStatement = usersPerStatement, MaxParallelStatements = parallel };

        var act = options.Validate;

        act.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be(option);
    }

    [Fact]
    public void Validate_ThrowsNamingTheCatalog_WhenItIsEmpty()
    {
        var act = new PgVectorOptions { Catalog = " " }.Validate;

        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("Catalog");
    }

    [Fact]
    public void PublishOptionsValidate_ThrowsNamingEfConstruction_WhenItIsBelowTwiceM()
    {
        var act = new PgVectorPublishOptions { M = 32, EfConstruction = 40 }.Validate;

        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*at least 2·M = 64*").Which.ParamName.Should().Be("EfConstruction");
    }

    [Fact]
    public void ResolveConnectionStrings_PrefersTheOptions_ThenSplitsTheEnvironmentVariableOnBars()
    {
        var variable = $"RE4_PG_TEST_{Guid.NewGuid():N}";
        Environment.SetEnvironmentVariable(variable, "Host=a;Port=1 | Host=b;Port=2");
        try
        {
            new PgVectorOptions { ConnectionStringEnvironmentVariable = variable }.ResolveConnectionStrings()
                .Should().Equal("Host=a;Port=1", "Host=b;Port=2");
            new PgVectorOptions { ConnectionStringEnvironmentVariable = variable, ConnectionStrings = ["Host=c"] }.ResolveConnectionStrings()
                .Should().Equal("Host=c");
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public void ResolveConnectionStrings_ThrowsNamingTheVariable_WhenNothingIsGiven()
    {
        var variable = $"RE4_PG_TEST_{Guid.NewGuid():N}";

        var act = () => new PgVectorOptions { ConnectionStringEnvironmentVariable = variable }.ResolveConnectionStrings();

        act.Should().Throw<InvalidOperationException>().WithMessage($"*ConnectionStrings*{variable}*");
    }
}
