using Re4.Recommenders.Models;
using Re4.Recommenders.Safetensors;
using Re4.Recommenders.Tests.Cli;
using Re4.Recommenders.Tests.Hosting;

namespace Re4.Recommenders.Tests.Safetensors;

/// <summary><c>re4 export --safetensors</c> writes the checkpoint's weights, and importing them gives back a checkpoint
/// with the same bits.</summary>
public sealed class ExportSafetensorsCliTests : IDisposable
{
    private readonly HostingFixture _fixture = new();
    private readonly TempDir _out = new();

    [Fact]
    public void Export_WithSafetensors_WritesWeightsThatImportBackBitExactly()
    {
        var (code, output, err) = CliRunner.Run("export", "--checkpoint", _fixture.RunPath, "--out", _out.Path, "--safetensors");

        code.Should().Be(0, err);
        var file = Path.Combine(_out.Path, SafetensorsWeights.FileName);
        output.Should().Contain($"to {file}");
        var copy = Path.Combine(_out.Path, "imported");
        SafetensorsWeights.ImportIntoCheckpoint(_fixture.RunPath, file, copy);
        using var original = ModelCheckpoint.Load(_fixture.RunPath);
        using var imported = ModelCheckpoint.Load(copy);
        var expected = original.Model.state_dict();
        foreach (var (name, tensor) in imported.Model.state_dict())
            tensor.data<float>().ToArray().Should().Equal(expected[name].data<float>().ToArray(), name);
        imported.ItemIds.Count.Should().Be(original.ItemIds.Count);
    }

    public void Dispose()
    {
        _fixture.Dispose();
        _out.Dispose();
    }
}
