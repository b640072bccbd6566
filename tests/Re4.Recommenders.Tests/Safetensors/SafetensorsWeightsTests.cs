using System.Buffers.Binary;
using System.Text;
using Re4.Recommenders.Data;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Safetensors;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Safetensors;

/// <summary><see cref="SafetensorsWeights"/>: bit-exact round trips, a file written by hand (the format's own layout,
/// not PyBridge's writer) read correctly, and files that do not fit the model refused with the tensor named.</summary>
public sealed class SafetensorsWeightsTests : IDisposable
{
    private static readonly ModelConfig Config = new() { Encoder = ComiRecSaDescriptor.EncoderName, ItemCount = 30, Dimension = 8, Interests = 2, MaxLength = 5 };
    private readonly TempDir _dir = new();

    private string FilePath => Path.Combine(_dir.Path, SafetensorsWeights.FileName);

    [Fact]
    public void SaveThenLoad_IntoAFreshModel_IsBitExactAndRecommendsTheSame()
    {
        manual_seed(1);
        using var trained = new MultiInterestModel(Config);
        manual_seed(2);
        using var fresh = new MultiInterestModel(Config);

        SafetensorsWeights.Save(trained, FilePath);
        SafetensorsWeights.Load(fresh, FilePath);

        var expected = trained.state_dict();
        var actual = fresh.state_dict();
        actual.Keys.Should().Equal(expected.Keys);
        foreach (var (name, tensor) in expected)
            Bits(actual[name]).Should().Equal(Bits(tensor), $"tensor {name} round-trips bit for bit");
        var histories = HistoryBatch.FromHistories([[1, 2, 3], [30, 4], [7]]);
        using var before = new MultiInterestRecommender(trained);
        using var after = new MultiInterestRecommender(fresh);
        var a = after.Retrieve(histories, 10, excludeHistory: true);
        var b = before.Retrieve(histories, 10, excludeHistory: true);
        a.Items.Should().Equal(b.Items);
        a.Scores.Should().Equal(b.Scores);
        Directory.GetFiles(_dir.Path).Should().Equal([FilePath], "the temporary file is renamed over the target");
    }

    [Fact]
    public void Load_HandWrittenFile_PutsEachTensorWhereItsNameSays()
    {
        // The format, written here without PyBridge: an 8-byte little-endian header length, a JSON header mapping each
        // name to dtype, shape and [begin, end) byte offsets into the data that follows, then the data. Tensor t's
        // element i is t + i / 1024 (exact in float), in reverse name order so offsets are not simply name order.
        manual_seed(3);
        using var model = new MultiInterestModel(Config);
        var tensors = SafetensorsWeights.Describe(model).Reverse().ToList();
        var header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        var data = new MemoryStream();
        var four = new byte[4];
        for (var t = 0; t < tensors.Count; t++)
        {
            var count = tensors[t].Shape.Aggregate(1L, (x, y) => x * y);
            var begin = data.Length;
            for (var i = 0; i < count; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(four, t + i / 1024f);
                data.Write(four);
            }

            header.Append($",\"{tensors[t].Name}\":{{\"dtype\":\"F32\",\"shape\":[{string.Join(",", tensors[t].Shape)}],\"data_offsets\":[{begin},{data.Length}]}}");
        }

        header.Append('}');
        var json = Encoding.UTF8.GetBytes(header.ToString());
        using (var file = File.Create(FilePath))
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)json.Length);
            file.Write(length);
            file.Write(json);
            data.Position = 0;
            data.CopyTo(file);
        }

        SafetensorsWeights.Load(model, FilePath);

        var state = model.state_dict();
        for (var t = 0; t < tensors.Count; t++)
        {
            var values = state[tensors[t].Name].contiguous().data<float>().ToArray();
            values.Should().Equal(Enumerable.Range(0, values.Length).Select(i => t + i / 1024f), $"tensor {tensors[t].Name}");
        }
    }

    [Fact]
    public void Describe_NamesTheItemTableAndTheEncoderTensors()
    {
        using var model = new MultiInterestModel(Config);

        var tensors = SafetensorsWeights.Describe(model);

        tensors.Should().ContainSingle(t => t.Name == "items.weight").Which.Shape.Should().Equal(31L, 8L);
        tensors.Where(t => t.Name != "items.weight").Should().OnlyContain(t => t.Name.StartsWith("extractor.", StringComparison.Ordinal));
        tensors.Should().OnlyContain(t => t.DType == "F32");
    }

    [Fact]
    public void Load_FileOfAnotherShape_IsRefusedNamingTheTensor()
    {
        using (var bigger = new MultiInterestModel(Config with { ItemCount = 31 }))
            SafetensorsWeights.Save(bigger, FilePath);
        using var model = new MultiInterestModel(Config);
        var before = Bits(model.ItemEmbeddings);

        var act = () => SafetensorsWeights.Load(model, FilePath);

        act.Should().Throw<InvalidDataException>().WithMessage($"{FilePath}: tensor items.weight has shape [32, 8]; the model's is [31, 8].");
        Bits(model.ItemEmbeddings).Should().Equal(before, "nothing is copied when a check fails");
    }

    [Fact]
    public void Load_FileOfAnotherEncoder_IsRefusedNamingTheMissingTensors()
    {
        using (var other = new MultiInterestModel(Config with { Encoder = ComiRecDrDescriptor.EncoderName }))
            SafetensorsWeights.Save(other, FilePath);
        using var model = new MultiInterestModel(Config);

        var act = () => SafetensorsWeights.Load(model, FilePath);

        act.Should().Throw<InvalidDataException>().WithMessage($"{FilePath} lacks the model's tensor(s) extractor.*");
    }

    [Fact]
    public void Load_NotSafetensors_IsRefused()
    {
        File.WriteAllText(FilePath, "not a safetensors file");
        using var model = new MultiInterestModel(Config);

        var act = () => SafetensorsWeights.Load(model, FilePath);

        act.Should().Throw<InvalidDataException>().WithMessage($"{FilePath} is not a readable safetensors file*");
    }

    public void Dispose() => _dir.Dispose();

    private static int[] Bits(Tensor tensor) => tensor.detach().contiguous().data<float>().ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();
}
