using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Tests.Extractors;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Models;

/// <summary>Every encoder option that shapes the network survives a checkpoint, and a format-1 <c>model.json</c> (written
/// before the encoder registry: a <c>kind</c> and a <c>self_attentive</c> flavour) still loads to the same network.</summary>
public sealed class EncoderConfigCheckpointTests
{
    private const int N = 5, D = 3, K = 2, L = 4;
    private static readonly long[] OriginalIds = [0, 501, 77, 9000000001, 3, 42];
    private static readonly long[] History = [1, 2, 3, 0, 5, 5, 4, 0];

    private static MultiInterestModel Build(string encoder, object? options, bool reverse = false, EmbeddingInitialization init = EmbeddingInitialization.XavierUniform)
    {
        manual_seed(41);
        var model = new MultiInterestModel(new ModelConfig
        {
            Label = "x",
            Encoder = encoder,
            ItemCount = N,
            Dimension = D,
            Interests = K,
            MaxLength = L,
            ReverseHistory = reverse,
            ItemInitialization = init,
            EncoderOptions = options,
        });
        model.eval();
        return model;
    }

    private static (float[] Z, float[] A, float[] U) Outputs(MultiInterestModel model)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (output, _, _) = model.Encode(tensor(History, [2, 4]));
        using var _o = output;
        return (Naive.Values(output.Interests), Naive.Values(output.Attention), Naive.Values(output.RetrievalInterests));
    }

    private static void ShouldMatch(MultiInterestModel loaded, MultiInterestModel saved)
    {
        var (z, a, u) = Outputs(saved);
        var after = Outputs(loaded);
        after.Z.Should().Equal(z);
        after.A.Should().Equal(a);
        after.U.Should().Equal(u);
    }

    [Fact]
    public void SaveAndLoad_RestoreOptionsOutsideDKL()
    {
        using var dir = new TempDir();
        var sa = Path.Combine(dir.Path, "sa");
        var dr = Path.Combine(dir.Path, "dr");
        using var saModel = Build(ComiRecSaDescriptor.EncoderName, new SelfAttentiveOptions { HiddenMultiplier = 2, PositionEmbedding = false });
        using var drModel = Build(ComiRecDrDescriptor.EncoderName, new DynamicRoutingOptions { Iterations = 5 });

        ModelCheckpoint.Save(sa, saModel, OriginalIds);
        ModelCheckpoint.Save(dr, drModel, OriginalIds);
        using var saLoaded = ModelCheckpoint.Load(sa);
        using var drLoaded = ModelCheckpoint.Load(dr);

        var json = File.ReadAllText(Path.Combine(sa, ModelCheckpoint.ConfigFile));
        json.Should().Contain("\"encoder\": \"ComiRecSA\"").And.Contain("\"hidden_multiplier\": 2").And.Contain("\"position_embedding\": false");
        var saOptions = saLoaded.Model.Config.EncoderOptions.Should().BeOfType<SelfAttentiveOptions>().Subject;
        saOptions.Should().Be(new SelfAttentiveOptions { Dimension = D, Interests = K, MaxLength = L, HiddenMultiplier = 2, PositionEmbedding = false });
        Naive.Parameters(saLoaded.Model).Get("extractor.w_a.weight").Shape.Should().Equal(2 * D, D);   // hidden size h·d = 6
        ((DynamicRoutingExtractor)drLoaded.Model.Extractor).Options.Iterations.Should().Be(5);
        saLoaded.Model.Config.Should().Be(saModel.Config);
        drLoaded.Model.Config.Should().Be(drModel.Config);
        ShouldMatch(saLoaded.Model, saModel);
        ShouldMatch(drLoaded.Model, drModel);
    }

    [Fact]
    public void MultiInterestModel_RecordsItsResolvedOptions_WithTheConfigurationsDKL()
    {
        // Options that say d = 64, K = 4, L = 20 (the defaults) follow the configuration's d = 3, K = 2, L = 4.
        using var model = Build(MindDescriptor.EncoderName, options: null);
        model.Config.EncoderOptions.Should().Be(new DynamicRoutingOptions { Dimension = D, Interests = K, MaxLength = L, SharedBilinearMap = true, ReluHead = true });
        using var sa = Build(ComiRecSaDescriptor.EncoderName, SelfAttentiveOptions.Re4Reference());
        sa.Config.EncoderOptions.Should().Be(new SelfAttentiveOptions
        {
            Dimension = D, Interests = K, MaxLength = L, PositionEmbedding = false, Bias = false, ValueProjection = true, OutputHead = true,
        });
        using var mean = Build(YouTubeDnnDescriptor.EncoderName, options: null);
        mean.Config.EncoderOptions.Should().BeNull();
    }

    [Fact]
    public void MultiInterestModel_ThrowsNamingTheParameter_ForOptionsOfTheWrongType()
    {
        FluentActions.Invoking(() => Build(ComiRecSaDescriptor.EncoderName, new DynamicRoutingOptions()))
            .Should().Throw<ArgumentException>().Where(e => e.ParamName == "config").WithMessage("*reads SelfAttentiveOptions*DynamicRoutingOptions*");
        FluentActions.Invoking(() => Build(Gru4RecDescriptor.EncoderName, new SelfAttentiveOptions()))
            .Should().Throw<ArgumentException>().Where(e => e.ParamName == "config").WithMessage("*has no options*");
    }

    /// <summary>model.json as format 1 wrote it (checked against a file written by the code before the registry).</summary>
    private static string FormatOne(string kind, string? selfAttentive, bool reverse, string init) => $$"""
        {
          "format": 1,
          "library": "0.1.0.0",
          "config": {
            "label": "x",
            "kind": "{{kind}}",
            "item_count": {{N}},
            "dimension": {{D}},
            "interests": {{K}},
            "max_length": {{L}},
            "reverse_history": {{(reverse ? "true" : "false")}},
            "item_initialization": "{{init}}"{{(selfAttentive is null ? "" : ",\n    \"self_attentive\": " + selfAttentive)}}
          }
        }
        """;

    [Fact]
    public void Load_GivesTheSameNetwork_ForAFormat1Checkpoint()
    {
        const string re4Flavour = """{ "position_embedding": false, "bias": false, "value_projection": true, "output_head": true }""";
        var cases = new (string Kind, string? Flavour, bool Reverse, EmbeddingInitialization Init, MultiInterestModel Model)[]
        {
            // The Re4 reference flavour, spelt as format 1 did, and what the same switches are in today's options.
            ("ComiRecSA", re4Flavour, true, EmbeddingInitialization.StandardNormal,
                Build(ComiRecSaDescriptor.EncoderName, new SelfAttentiveOptions { PositionEmbedding = false, Bias = false, ValueProjection = true, OutputHead = true }, true, EmbeddingInitialization.StandardNormal)),
            ("ComiRecSA", null, false, EmbeddingInitialization.XavierUniform, Build(ComiRecSaDescriptor.EncoderName, null)),
            ("ComiRecDR", null, false, EmbeddingInitialization.XavierUniform, Build(ComiRecDrDescriptor.EncoderName, null)),
            ("Mind", null, false, EmbeddingInitialization.XavierUniform, Build(MindDescriptor.EncoderName, null)),
            ("Gru4Rec", null, false, EmbeddingInitialization.XavierUniform, Build(Gru4RecDescriptor.EncoderName, null)),
        };
        using var dir = new TempDir();
        foreach (var (kind, flavour, reverse, init, model) in cases)
        {
            var folder = Path.Combine(dir.Path, kind + (flavour is null ? "" : "-re4"));
            ModelCheckpoint.Save(folder, model, OriginalIds);
            File.WriteAllText(Path.Combine(folder, ModelCheckpoint.ConfigFile), FormatOne(kind, flavour, reverse, init.ToString()));
            SaveInFormatOneLayout(model, Path.Combine(folder, ModelCheckpoint.WeightsFile));
            File.Delete(Path.Combine(folder, "manifest.json"));   // 0.1 wrote none

            using var loaded = ModelCheckpoint.Load(folder);

            loaded.Model.Config.Encoder.Should().Be(kind, "format 1's kinds are the registry's names");
            loaded.Model.Config.Should().Be(model.Config);
            ShouldMatch(loaded.Model, model);
            model.Dispose();
        }
    }

    /// <summary>0.1's weights layout: the model also held its extractor as "_extractor", so every extractor tensor is
    /// stored twice (the items first, then "extractor.…", then "_extractor.…").</summary>
    private static void SaveInFormatOneLayout(MultiInterestModel model, string path)
    {
        // Not disposed: disposing a module disposes its children, which belong to the model.
        new FormatOneLayout(model).save(path);
    }

    private sealed class FormatOneLayout : TorchSharp.torch.nn.Module
    {
        public FormatOneLayout(MultiInterestModel model)
            : base(nameof(FormatOneLayout))
        {
            foreach (var (name, child) in model.named_children()) register_module(name, child);
            register_module("_extractor", model.Extractor);
        }
    }

    [Fact]
    public void SavedWeights_HoldEachTensorOnce()
    {
        using var model = Build(ComiRecSaDescriptor.EncoderName, null);
        using var dir = new TempDir();
        ModelCheckpoint.Save(dir.Path, model, OriginalIds);
        using var reader = new BinaryReader(File.OpenRead(Path.Combine(dir.Path, ModelCheckpoint.WeightsFile)));

        // items.weight and the four tensors of the SA extractor (position, W_a weight and bias, W_b weight and bias).
        reader.Read7BitEncodedInt64().Should().Be(6);
    }

    [Theory]
    [InlineData("\"item_count\": 5", "\"item_count\": 2000000000")]   // 2e9 items of d = 3: 24 GB of table
    [InlineData("\"dimension\": 3", "\"dimension\": 1000000")]        // 6 items of d = 1e6: 24 MB, more than the file
    public void Load_ThrowsBeforeAllocating_ForAConfigurationLargerThanItsWeights(string field, string edited)
    {
        using var dir = new TempDir();
        using (var model = Build(ComiRecSaDescriptor.EncoderName, null)) ModelCheckpoint.Save(dir.Path, model, OriginalIds);
        var path = Path.Combine(dir.Path, ModelCheckpoint.ConfigFile);
        File.WriteAllText(path, File.ReadAllText(path).Replace(field, edited));
        File.Delete(Path.Combine(dir.Path, FolderManifest.FileName));   // as a folder written before manifests existed

        FluentActions.Invoking(() => ModelCheckpoint.Load(dir.Path)).Should().Throw<InvalidDataException>().WithMessage("*bytes of item table*holds only*");
    }

    [Fact]
    public void Load_ThrowsForWeightsOfAnotherNetwork()
    {
        using var dir = new TempDir();
        using (var model = Build(ComiRecSaDescriptor.EncoderName, null)) ModelCheckpoint.Save(dir.Path, model, OriginalIds);
        using (var other = Build(ComiRecSaDescriptor.EncoderName, new SelfAttentiveOptions { Bias = false }))
            other.save(Path.Combine(dir.Path, ModelCheckpoint.WeightsFile));   // 4 tensors where the configuration needs 6
        FolderManifest.Write(dir.Path);   // sealed: the manifest cannot tell a wrong network from a right one

        FluentActions.Invoking(() => ModelCheckpoint.Load(dir.Path)).Should().Throw<InvalidDataException>().WithMessage("*holds 4 tensors*has 6*");
    }

    [Fact]
    public void Load_NeedsTheExtractor_ForAFormat1CheckpointOfACustomExtractor()
    {
        using var dir = new TempDir();
        var folder = Path.Combine(dir.Path, "m");
        using (var model = Build(ComiRecSaDescriptor.EncoderName, null)) ModelCheckpoint.Save(folder, model, OriginalIds);
        File.WriteAllText(Path.Combine(folder, ModelCheckpoint.ConfigFile), FormatOne("Custom", null, false, "XavierUniform"));
        File.Delete(Path.Combine(folder, "manifest.json"));   // 0.1 wrote none

        FluentActions.Invoking(() => ModelCheckpoint.Load(folder)).Should().Throw<InvalidDataException>().WithMessage("*'Custom' is not registered*");
    }

    [Fact]
    public void Load_ThrowsForACheckpointOfALaterFormat()
    {
        using var dir = new TempDir();
        var folder = Path.Combine(dir.Path, "m");
        using (var model = Build(ComiRecSaDescriptor.EncoderName, null)) ModelCheckpoint.Save(folder, model, OriginalIds);
        var path = Path.Combine(folder, ModelCheckpoint.ConfigFile);
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"format\": 2", "\"format\": 4"));
        FolderManifest.Write(folder);   // as the later version would have sealed it

        FluentActions.Invoking(() => ModelCheckpoint.Load(folder)).Should().Throw<InvalidDataException>().WithMessage("*format 4*formats 1 to 3*");
    }
}
