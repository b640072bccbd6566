using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Tests.Extractors;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Models;

/// <summary>The item table and <see cref="MultiInterestModel.Encode"/>: row 0 is zero padding without gradient, the mask
/// and X come from the ids, and the extractor sees exactly those.</summary>
public sealed class MultiInterestModelTests
{
    private const int N = 6, D = 4, K = 2, L = 5;

    public static TheoryData<string> Kinds => new() { ComiRecSaDescriptor.EncoderName, ComiRecDrDescriptor.EncoderName, MindDescriptor.EncoderName, YouTubeDnnDescriptor.EncoderName, Gru4RecDescriptor.EncoderName };

    private static MultiInterestModel Build(string kind, EmbeddingInitialization init = EmbeddingInitialization.XavierUniform)
    {
        manual_seed(31);
        return new MultiInterestModel(new ModelConfig { Encoder = kind, ItemCount = N, Dimension = D, Interests = K, MaxLength = L, ItemInitialization = init });
    }

    private static readonly long[] Ids = [1, 2, 3, 0, 0, /**/ 4, 0, 0, 0, 0, /**/ 6, 6, 2, 5, 1];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void PaddingRow_IsZeroAndGetsNoGradient(string kind)
    {
        using var scope = NewDisposeScope();
        foreach (var init in new[] { EmbeddingInitialization.XavierUniform, EmbeddingInitialization.StandardNormal })
        {
            var model = Build(kind, init);
            model.ItemEmbeddings.shape.Should().Equal(N + 1, D);
            Naive.Values(model.ItemEmbeddings[0]).Should().OnlyContain(v => v == 0f, "row 0 is padding ({0})", init);
            Naive.Values(model.ItemEmbeddings[1]).Should().Contain(v => v != 0f);

            var (output, x, _) = model.Encode(tensor(Ids, [3, L]));
            using (output)
            {
                // Touch everything, padding positions of X included.
                var loss = output.RetrievalInterests.sum() + output.Interests.square().sum() + x.sum() + (output.Attention * x.sum(-1).unsqueeze(1)).sum();
                loss.backward();
            }

            var grad = model.ItemEmbeddings.grad ?? throw new InvalidOperationException("no gradient on the item table");
            Naive.Values(grad[0]).Should().OnlyContain(v => v == 0f, "padding gets no gradient ({0}, {1})", kind, init);
            for (var item = 1; item <= N; item++) Naive.Values(grad[item]).Should().Contain(v => v != 0f, "item {0} is used", item);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Encode_GivesTheMaskTheTableRowsAndTheExtractorOutputOnThem(string kind)
    {
        using var scope = NewDisposeScope();
        var model = Build(kind);
        var table = Naive.Values(model.ItemEmbeddings);

        manual_seed(5);   // MIND draws its routing start
        var (output, x, mask) = model.Encode(tensor(Ids, [3, L]));
        using var _ = output;

        mask.dtype.Should().Be(ScalarType.Float32);
        Naive.Values(mask).Should().Equal(Ids.Select(id => id == 0 ? 0f : 1f));
        x.shape.Should().Equal(3, L, D);
        Naive.Values(x).Should().Equal(Ids.SelectMany(id => table.Skip((int)id * D).Take(D)), "X[b, l] is row id of the table");
        output.Interests.shape.Should().Equal(3, model.Config.EffectiveInterests, D);

        manual_seed(5);
        using var direct = model.Extractor.Extract(x, mask);
        Naive.Values(output.Interests).Should().Equal(Naive.Values(direct.Interests));
        Naive.Values(output.Attention).Should().Equal(Naive.Values(direct.Attention));
        Naive.Values(output.RetrievalInterests).Should().Equal(Naive.Values(direct.RetrievalInterests));
    }

    [Fact]
    public void EffectiveInterests_IsOne_ForSingleInterestBaselines()
    {
        new ModelConfig { Encoder = YouTubeDnnDescriptor.EncoderName, ItemCount = 3, Interests = 4 }.EffectiveInterests.Should().Be(1);
        new ModelConfig { Encoder = Gru4RecDescriptor.EncoderName, ItemCount = 3, Interests = 4 }.EffectiveInterests.Should().Be(1);
        new ModelConfig { Encoder = MindDescriptor.EncoderName, ItemCount = 3, Interests = 4 }.EffectiveInterests.Should().Be(4);
    }

    [Fact]
    public void MultiInterestModel_ThrowsForInvalidArguments()
    {
        var noItems = () => new MultiInterestModel(new ModelConfig { ItemCount = 0 });
        noItems.Should().Throw<ArgumentOutOfRangeException>();
        var model = Build(ComiRecSaDescriptor.EncoderName);
        var rank = () => model.Encode(zeros(3, dtype: ScalarType.Int64));
        rank.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("history");
    }
}
