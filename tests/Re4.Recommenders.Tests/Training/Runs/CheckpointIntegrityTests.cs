using Re4.Recommenders.Models;
using Re4.Recommenders.Training;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Training.Runs;

/// <summary>Issue 11, item 6: checkpoints carry a manifest of XxHash128 checksums, verified on load and resume; one flipped
/// bit is refused by the name of its file; folders without a manifest (before 0.2) still load, unverified.</summary>
public sealed class CheckpointIntegrityTests
{
    private static (string Folder, MultiInterestModel Model) Saved(TempDir dir)
    {
        manual_seed(5);
        var model = new MultiInterestModel(TinyRun.Config());
        var folder = Path.Combine(dir.Path, "model");
        ModelCheckpoint.Save(folder, model, Enumerable.Range(0, model.Config.ItemCount + 1).Select(i => 1000L + i).ToArray());
        return (folder, model);
    }

    /// <summary>The offset of item <paramref name="item"/>'s embedding in model.bin, found by its bytes (the first three
    /// floats, unique in a random table).</summary>
    private static int OffsetOfItem(string weights, MultiInterestModel model, int item)
    {
        var row = model.ItemEmbeddings[item].data<float>().ToArray()[..3];
        var pattern = System.Runtime.InteropServices.MemoryMarshal.AsBytes(row.AsSpan()).ToArray();
        var bytes = File.ReadAllBytes(weights);
        var at = bytes.AsSpan().IndexOf(pattern);
        at.Should().BePositive("the item's embedding is stored as raw floats");
        bytes.AsSpan(at + 1).IndexOf(pattern).Should().Be(-1, "the pattern is unique");
        return at;
    }

    private static void FlipBit(string path, int offset, int bit)
    {
        var bytes = File.ReadAllBytes(path);
        bytes[offset] ^= (byte)(1 << bit);
        File.WriteAllBytes(path, bytes);
    }

    [Fact]
    public void Load_RefusesAFlippedBitInAnItemEmbedding()
    {
        using var dir = new TempDir();
        var (folder, model) = Saved(dir);
        using var _ = model;
        var weights = Path.Combine(folder, ModelCheckpoint.WeightsFile);
        // The high exponent bit of item 7's first value: a finite weight of ~1e38 that ranked the item first for everyone.
        FlipBit(weights, OffsetOfItem(weights, model, 7) + 3, 6);

        var act = () => ModelCheckpoint.Load(folder);

        act.Should().Throw<InvalidDataException>().WithMessage($"*{weights}*checksum*");
    }

    [Fact]
    public void Load_RefusesAFlippedByteInTheItemIdMap()
    {
        using var dir = new TempDir();
        var (folder, model) = Saved(dir);
        model.Dispose();
        var ids = Path.Combine(folder, ModelCheckpoint.ItemIdsFile);
        FlipBit(ids, 8 + 4 + 8 * 5, 0);   // magic, count, then item 5's id: 1005 becomes 1004 (a duplicate)

        var act = () => ModelCheckpoint.Load(folder);

        act.Should().Throw<InvalidDataException>().WithMessage($"*{ids}*checksum*");
    }

    [Fact]
    public void Load_RefusesATruncatedWeightsFile_ByItsSize()
    {
        using var dir = new TempDir();
        var (folder, model) = Saved(dir);
        model.Dispose();
        var weights = Path.Combine(folder, ModelCheckpoint.WeightsFile);
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length / 2)]);

        var act = () => ModelCheckpoint.Load(folder);

        act.Should().Throw<InvalidDataException>().WithMessage($"*{weights}*bytes*truncated*");
    }

    [Fact]
    public void Load_WithoutManifest_LoadsUnverified()
    {
        // Folders written before 0.2 have no manifest.json.
        using var dir = new TempDir();
        var (folder, model) = Saved(dir);
        using var _ = model;
        File.Delete(Path.Combine(folder, "manifest.json"));

        using var loaded = ModelCheckpoint.Load(folder);

        loaded.OriginalItemId(5).Should().Be(1005);
        loaded.Model.ItemEmbeddings.data<float>().ToArray().Should().Equal(model.ItemEmbeddings.data<float>().ToArray());
    }

    [Fact]
    public void Save_WritesAManifestOfEveryFile()
    {
        using var dir = new TempDir();
        var (folder, model) = Saved(dir);
        model.Dispose();

        var manifest = File.ReadAllText(Path.Combine(folder, "manifest.json"));

        foreach (var file in new[] { ModelCheckpoint.ConfigFile, ModelCheckpoint.WeightsFile, ModelCheckpoint.ItemIdsFile }) manifest.Should().Contain($"\"{file}\"");
        manifest.Should().Contain("xxhash128");
    }

    [Fact]
    public void Resume_RefusesAFlippedBitInTheResumeState_NamingTheFile()
    {
        using var dir = new TempDir();
        var run = Path.Combine(dir.Path, "run");
        using (var trainer = new MultiInterestTrainer(TinyRun.Split.Value, TinyRun.Config(), TinyRun.Options(run, maxSteps: 5))) trainer.Fit();
        var adam = Path.Combine(run, MultiInterestTrainer.ResumeFolder, "adam.bin");
        FlipBit(adam, (int)new FileInfo(adam).Length - 3, 2);

        var act = () => MultiInterestTrainer.Resume(run, TinyRun.Split.Value);

        act.Should().Throw<InvalidDataException>().WithMessage($"*{adam}*checksum*");
    }
}
