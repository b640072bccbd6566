using Re4.Recommenders.Diagnostics;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Diagnostics;

/// <summary><see cref="InterestSnapshot.Of"/> against the model's own forward pass on an input built here by hand, with the
/// cosine similarities recomputed in double precision from Z.</summary>
public sealed class InterestSnapshotTests
{
    private const int D = 4, K = 3, L = 5, Items = 12;

    private static MultiInterestModel Model(bool reverse)
    {
        manual_seed(77);
        return new MultiInterestModel(new ModelConfig { ItemCount = Items, Dimension = D, Interests = K, MaxLength = L, ReverseHistory = reverse, ItemInitialization = EmbeddingInitialization.StandardNormal });
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Snapshot_IsTheModelsAttentionOverTheLastLItemsOldestFirst_AndTheCosineOfZ(bool reverse)
    {
        using var model = Model(reverse);
        int[] history = [3, 9, 1, 12, 5, 7, 2];   // longer than L: the snapshot keeps 12 5 7 2 ... the last five
        var kept = history[^L..];

        var snapshot = InterestSnapshot.Of(model, history);

        snapshot.Items.Should().Equal(kept);
        // The model's input, built independently: left-aligned, most recent first when the model reverses histories.
        var ids = reverse ? kept.Reverse().Select(i => (long)i).ToArray() : kept.Select(i => (long)i).ToArray();
        model.eval();
        using var noGrad = no_grad();
        var (output, _, _) = model.Encode(tensor(ids, [1, L]));
        var a = output.Attention[0].data<float>().ToArray();     // [K, L], the model's column order
        var z = output.Interests[0].data<float>().ToArray();     // [K, D]
        for (var q = 0; q < K; q++)
        {
            for (var j = 0; j < L; j++)
            {
                // Column j of the snapshot is kept[j]; the model saw it at position j, or L - 1 - j when reversed.
                var position = reverse ? L - 1 - j : j;
                snapshot.Attention[q, j].Should().Be(a[q * L + position]);
            }
        }

        for (var p = 0; p < K; p++)
        {
            for (var q = 0; q < K; q++)
            {
                double dot = 0, np = 0, nq = 0;
                for (var d = 0; d < D; d++)
                {
                    dot += (double)z[p * D + d] * z[q * D + d];
                    np += (double)z[p * D + d] * z[p * D + d];
                    nq += (double)z[q * D + d] * z[q * D + d];
                }

                snapshot.Cosine[p, q].Should().BeApproximately((float)(dot / Math.Sqrt(np * nq)), 1e-5f);
            }
        }

        model.training.Should().BeFalse("the test put it in evaluation mode itself");
    }

    [Fact]
    public void Snapshot_LeavesTheModelInTheModeItWasIn()
    {
        using var model = Model(reverse: false);
        model.train();

        InterestSnapshot.Of(model, [1, 2, 3]);

        model.training.Should().BeTrue();
    }

    [Fact]
    public void Snapshot_ThrowsForAnEmptyHistory()
    {
        using var model = Model(reverse: false);

        var act = () => InterestSnapshot.Of(model, []);

        act.Should().Throw<ArgumentException>();
    }
}
