using Re4.Recommenders.Data;
using Re4.Recommenders.Models;
using static TorchSharp.torch;

namespace Re4.Recommenders.Diagnostics;

/// <summary>
/// One user's interests as the model sees them: which history items each interest attends to (A) and how alike the
/// interests are (the cosine similarity of Z). <see cref="InterestDiagnostics"/> averages these over many users; a
/// snapshot is what one looks at to understand a single user.
/// </summary>
/// <param name="Items">The dense item ids the model was given, oldest first (at most the model's L most recent items
/// of the history); column j of <see cref="Attention"/> belongs to <c>Items[j]</c>.</param>
/// <param name="Attention">A, <c>[K, n]</c> with n = <c>Items.Count</c>: row k is interest k's distribution over the
/// items (each row sums to 1).</param>
/// <param name="Cosine">The <c>[K, K]</c> cosine similarities between the interests Z (1 on the diagonal).</param>
public sealed record InterestSnapshot(IReadOnlyList<int> Items, float[,] Attention, float[,] Cosine)
{
    /// <summary>Encodes one history with <paramref name="model"/> (evaluation mode, no gradient) and keeps its attention
    /// and interest similarities.</summary>
    /// <param name="model">A multi-interest model.</param>
    /// <param name="history">Dense item ids (1..N), oldest first; at least one.</param>
    /// <exception cref="ArgumentException">The history is empty or holds an id outside 1..N.</exception>
    public static InterestSnapshot Of(MultiInterestModel model, ReadOnlySpan<int> history)
    {
        ArgumentNullException.ThrowIfNull(model);
        var batch = HistoryBatch.FromHistories([history.ToArray()]);
        var ids = model.HistoryIds(batch, out var l);
        var n = Math.Min(history.Length, l);
        var k = model.Config.EffectiveInterests;
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var (output, _, _) = model.Encode(tensor(ids, [1, l], device: model.ItemEmbeddings.device));
            var a = output.Attention[0].cpu().data<float>().ToArray();                                  // [K, L]
            var z = nn.functional.normalize(output.Interests[0], p: 2, dim: -1);                          // [K, d]
            var cos = z.matmul(z.transpose(0, 1)).cpu().data<float>().ToArray();                           // [K, K]

            // The model reads the kept items left-aligned, most recent first when it reverses histories; the snapshot
            // reports them oldest first whatever the model's order.
            var kept = history[^n..].ToArray();
            var attention = new float[k, n];
            for (var q = 0; q < k; q++)
            {
                for (var j = 0; j < n; j++)
                {
                    var column = model.Config.ReverseHistory ? n - 1 - j : j;
                    attention[q, j] = a[q * l + column];
                }
            }

            var cosine = new float[k, k];
            for (var p = 0; p < k; p++)
            {
                for (var q = 0; q < k; q++) cosine[p, q] = cos[p * k + q];
            }

            return new InterestSnapshot(kept, attention, cosine);
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
