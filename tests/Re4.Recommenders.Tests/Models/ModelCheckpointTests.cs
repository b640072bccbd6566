using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Tests.Extractors;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Models;

/// <summary>Save/Load round trips give the same outputs and id maps; damaged folders give InvalidDataException naming
/// the path.</summary>
public sealed class ModelCheckpointTests
{
    private const int N = 5;
    private static readonly long[] OriginalIds = [0, 501, 77, 9000000001, 3, 42];
    private static readonly long[] History = [1, 2, 3, 0, 5, 5, 4, 0];

    public static TheoryData<string, bool> Cases => new()
    {
        { ComiRecSaDescriptor.EncoderName, false },
        { ComiRecSaDescriptor.EncoderName, true },
        { ComiRecDrDescriptor.EncoderName, false },
        { MindDescriptor.EncoderName, false },
        { YouTubeDnnDescriptor.EncoderName, false },
        { Gru4RecDescriptor.EncoderName, true },
    };

    private static MultiInterestModel Build(string kind, bool re4Flavour = false)
    {
        manual_seed(41);
        return new MultiInterestModel(new ModelConfig
        {
            Encoder = kind,
            ItemCount = N,
            Dimension = 3,
            Interests = 2,
            MaxLength = 4,
            ReverseHistory = re4Flavour,
            ItemInitialization = re4Flavour ? EmbeddingInitialization.StandardNormal : EmbeddingInitialization.XavierUniform,
            EncoderOptions = re4Flavour && kind == ComiRecSaDescriptor.EncoderName ? SelfAttentiveOptions.Re4Reference() : null,
        });
    }

    private static (float[] Z, float[] A, float[] U) Outputs(MultiInterestModel model)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(8);   // MIND's random routing start
        var (output, _, _) = model.Encode(tensor(History, [2, 4]));
        using var _o = output;
        return (Naive.Values(output.Interests), Naive.Values(output.Attention), Naive.Values(output.RetrievalInterests));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SaveAndLoad_RoundTripGivesIdenticalOutputsConfigAndItemIds(string kind, bool re4Flavour)
    {
        using var dir = new TempDir();
        var folder = Path.Combine(dir.Path, "model");
        var model = Build(kind, re4Flavour);
        model.eval();
        var before = Outputs(model);

        ModelCheckpoint.Save(folder, model, OriginalIds);
        var loaded = ModelCheckpoint.Load(folder);

        loaded.Model.Config.Should().Be(model.Config);
        loaded.Model.training.Should().BeFalse();
        Naive.Values(loaded.Model.ItemEmbeddings).Should().Equal(Naive.Values(model.ItemEmbeddings));
        var after = Outputs(loaded.Model);
        after.Z.Should().Equal(before.Z);
        after.A.Should().Equal(before.A);
        after.U.Should().Equal(before.U);
        loaded.OriginalItemIds.ToArray().Should().Equal(OriginalIds);
        for (var item = 1; item <= N; item++)
        {
            loaded.OriginalItemId(item).Should().Be(OriginalIds[item]);
            loaded.TryGetItem(OriginalIds[item], out var dense).Should().BeTrue();
            dense.Should().Be(item);
        }

        loaded.TryGetItem(12345, out _).Should().BeFalse();
    }

    [Fact]
    public void Save_ReplacesAnExistingCheckpoint()
    {
        using var dir = new TempDir();
        var folder = Path.Combine(dir.Path, "model");
        ModelCheckpoint.Save(folder, Build(ComiRecSaDescriptor.EncoderName), OriginalIds);
        var second = Build(YouTubeDnnDescriptor.EncoderName);
        ModelCheckpoint.Save(folder, second, OriginalIds);

        ModelCheckpoint.Load(folder).Model.Config.Encoder.Should().Be(YouTubeDnnDescriptor.EncoderName);
        Directory.GetDirectories(dir.Path).Should().ContainSingle("no temporary sibling is left behind");
    }

    [Fact]
    public void Save_ThrowsForAnIdMapOfTheWrongLength()
    {
        using var dir = new TempDir();
        var act = () => ModelCheckpoint.Save(Path.Combine(dir.Path, "m"), Build(ComiRecSaDescriptor.EncoderName), OriginalIds.AsSpan(0, N).ToArray());
        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("originalItemIds");
    }

    private static string SavedCopy(TempDir dir)
    {
        var folder = Path.Combine(dir.Path, "model");
        ModelCheckpoint.Save(folder, Build(ComiRecSaDescriptor.EncoderName), OriginalIds);
        return folder;
    }

    private static void Truncate(string path, int drop)
    {
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length - drop).ToArray());
    }

    [Theory]
    [InlineData(ModelCheckpoint.ConfigFile)]
    [InlineData(ModelCheckpoint.WeightsFile)]
    [InlineData(ModelCheckpoint.ItemIdsFile)]
    public void Load_ThrowsInvalidDataExceptionNamingThePath_ForAMissingFile(string file)
    {
        using var dir = new TempDir();
        var folder = SavedCopy(dir);
        File.Delete(Path.Combine(folder, file));

        var act = () => ModelCheckpoint.Load(folder);

        act.Should().Throw<InvalidDataException>().Which.Message.Should().Contain(folder).And.Contain(file);
    }

    [Theory]
    [InlineData(ModelCheckpoint.ConfigFile, 10)]
    [InlineData(ModelCheckpoint.WeightsFile, 7)]
    [InlineData(ModelCheckpoint.WeightsFile, 200)]
    [InlineData(ModelCheckpoint.ItemIdsFile, 3)]
    [InlineData(ModelCheckpoint.ItemIdsFile, 55)]   // inside the magic
    public void Load_ThrowsInvalidDataExceptionNamingThePath_ForATruncatedFile(string file, int drop)
    {
        using var dir = new TempDir();
        var folder = SavedCopy(dir);
        Truncate(Path.Combine(folder, file), drop);

        var act = () => ModelCheckpoint.Load(folder);

        act.Should().Throw<InvalidDataException>().Which.Message.Should().Contain(Path.Combine(folder, file));
    }

    [Fact]
    public void Load_ThrowsInvalidDataException_ForAMissingFolder()
    {
        using var dir = new TempDir();
        var folder = Path.Combine(dir.Path, "nothing-here");
        var act = () => ModelCheckpoint.Load(folder);
        act.Should().Throw<InvalidDataException>().Which.Message.Should().Contain(folder);
    }
}
