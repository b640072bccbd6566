using Re4.Recommenders.Models;
using Re4.Recommenders.Tests.Extractors;
using Re4.Recommenders.Training;

namespace Re4.Recommenders.Tests.Hosting;

/// <summary>Friction point 3 of issue 12: <see cref="ModelCheckpoint.Load(string, TorchSharp.torch.Device?)"/> accepts a
/// training run's folder, as the service and the CLI do.</summary>
public sealed class ModelCheckpointRunFolderTests : IDisposable
{
    private readonly HostingFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public void Load_AcceptsATrainingRunFolder()
    {
        using var fromRun = ModelCheckpoint.Load(_fixture.RunPath);
        using var fromModel = ModelCheckpoint.Load(Path.Combine(_fixture.RunPath, MultiInterestTrainer.ModelFolder));
        fromRun.OriginalItemIds.ToArray().Should().Equal(HostingFixture.OriginalIds);
        Naive.Values(fromRun.Model.ItemEmbeddings).Should().Equal(Naive.Values(fromModel.Model.ItemEmbeddings));
    }

    [Fact]
    public void Load_ThrowsNamingBothPlaces_ForAFolderWithoutAModel()
    {
        var empty = Path.Combine(_fixture.RunPath, "empty");
        Directory.CreateDirectory(empty);
        FluentActions.Invoking(() => ModelCheckpoint.Load(empty)).Should().Throw<InvalidDataException>()
            .WithMessage($"{empty} holds no model: expected model.json there or in its model/ folder.");
    }
}
