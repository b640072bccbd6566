using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;

namespace Re4.Recommenders.Tests.Extractors;

/// <summary>The registry: the five built-in encoders by name, CLI name and arity; duplicate and unknown names.</summary>
public sealed class EncoderRegistryTests
{
    [Fact]
    public void All_ListsTheBuiltInEncodersInOrderWithTheirNames()
    {
        EncoderRegistry.All.Take(5).Select(d => (d.Name, d.CliName, d.MultiInterest)).Should().Equal(
            ("ComiRecSA", "comirec-sa", true),
            ("ComiRecDR", "comirec-dr", true),
            ("Mind", "mind", true),
            ("YouTubeDnn", "youtube-dnn", false),
            ("Gru4Rec", "gru4rec", false));
        EncoderRegistry.Get("Mind").Should().BeOfType<MindDescriptor>();
        EncoderRegistry.TryGetByCliName("gru4rec", out var gru).Should().BeTrue();
        gru.Should().BeOfType<Gru4RecDescriptor>();
        EncoderRegistry.TryGet("comirec-sa", out _).Should().BeFalse("registry names and CLI names are different keys");
    }

    [Fact]
    public void EffectiveInterests_ComesFromTheEncodersArity()
    {
        new ModelConfig { Encoder = YouTubeDnnDescriptor.EncoderName, Interests = 4 }.EffectiveInterests.Should().Be(1);
        new ModelConfig { Encoder = Gru4RecDescriptor.EncoderName, Interests = 4 }.EffectiveInterests.Should().Be(1);
        new ModelConfig { Encoder = MindDescriptor.EncoderName, Interests = 4 }.EffectiveInterests.Should().Be(4);
        new ModelConfig { Encoder = "NotRegistered", Interests = 3 }.EffectiveInterests.Should().Be(3);
    }

    [Fact]
    public void Register_DoesNothing_ForTheSameDescriptorAgain()
    {
        var count = EncoderRegistry.All.Count;
        EncoderRegistry.Register(new ComiRecSaDescriptor());
        EncoderRegistry.All.Should().HaveCount(count);
    }

    [Fact]
    public void Register_ThrowsForAClashingName()
    {
        FluentActions.Invoking(() => EncoderRegistry.Register(new Clash("Mind", "my-mind")))
            .Should().Throw<ArgumentException>().Where(e => e.ParamName == "descriptor").WithMessage("*clashes with the registered Mind*");
        FluentActions.Invoking(() => EncoderRegistry.Register(new Clash("MyMind", "mind")))
            .Should().Throw<ArgumentException>().Where(e => e.ParamName == "descriptor").WithMessage("*clashes with the registered Mind (mind*");
        EncoderRegistry.TryGet("MyMind", out _).Should().BeFalse();
        FluentActions.Invoking(() => EncoderRegistry.Register(null!)).Should().Throw<ArgumentNullException>().Where(e => e.ParamName == "descriptor");
    }

    [Fact]
    public void Get_ThrowsForAnUnknownName_ListingTheRegisteredOnes()
    {
        FluentActions.Invoking(() => EncoderRegistry.Get("Nope"))
            .Should().Throw<ArgumentException>().Where(e => e.ParamName == "name").WithMessage("*'Nope'*ComiRecSA, ComiRecDR, Mind, YouTubeDnn, Gru4Rec*");
    }

    [Fact]
    public void Descriptor_ThrowsForEmptyNames()
    {
        FluentActions.Invoking(() => new Clash(" ", "x")).Should().Throw<ArgumentException>().Where(e => e.ParamName == "name");
        FluentActions.Invoking(() => new Clash("X", "")).Should().Throw<ArgumentException>().Where(e => e.ParamName == "cliName");
    }

    private sealed class Clash(string name, string cliName) : EncoderDescriptor(name, cliName, multiInterest: true)
    {
        public override InterestExtractor Create(ModelConfig config) => throw new NotSupportedException();
    }
}
