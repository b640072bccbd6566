using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Data;
using Re4.Recommenders.Models;
using static TorchSharp.torch;

namespace Re4.Recommenders.Diagnostics;

/// <summary>What the Re4 paper claims of its interests, measured on a set of users (docs/concepts.md, "Diagnostics").</summary>
/// <param name="Users">Users measured.</param>
/// <param name="Distinctness">Mean pairwise cosine similarity between a user's interests Z (lower = more distinct);
/// NaN when K = 1.</param>
/// <param name="AttentionDisagreement">Mean KL(R ‖ A) over (user, interest) between the re-attention R =
/// softmax<sub>L</sub>(Z·Xᵀ) and the forward attention A (0 = the attention agrees with retrieval relevance).</param>
/// <param name="ReconstructionError">Mean squared error per dimension of a re-construct generator on the positive cells,
/// or null when no generator was given.</param>
/// <param name="TopicPurity">With planted topics: the mean over (user, interest) with at least one positive item of the
/// share of the interest's positives that fall in its most common topic; null without topics.</param>
/// <param name="TopicCoverage">With planted topics: the mean over users of (distinct majority topics among the user's
/// interests) / min(K, distinct topics in the history); 1 when the interests spread over the user's topics; null without
/// topics.</param>
public sealed record InterestDiagnosticsReport(int Users, double Distinctness, double AttentionDisagreement, double? ReconstructionError, double? TopicPurity, double? TopicCoverage);

/// <summary>Computes <see cref="InterestDiagnosticsReport"/> for a model over evaluation users.</summary>
public static class InterestDiagnostics
{
    /// <summary>Measures <paramref name="model"/> on the histories of <paramref name="users"/>.</summary>
    /// <param name="model">The model (evaluated in evaluation mode, no gradient).</param>
    /// <param name="users">Whose histories to encode.</param>
    /// <param name="topicOf">For planted data: the topic of a dense item id; null otherwise.</param>
    /// <param name="generator">A trained re-construct flow, for the reconstruction error; null to skip it.</param>
    /// <param name="batchSize">Users per forward pass.</param>
    public static InterestDiagnosticsReport Compute(MultiInterestModel model, EvaluationSet users, Func<int, int>? topicOf = null, ReConstructFlow? generator = null, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(users);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var config = model.Config;
        var k = config.EffectiveInterests;
        double cosSum = 0, klSum = 0, reconSum = 0, puritySum = 0, coverageSum = 0;
        long cosCount = 0, klCount = 0, reconBatches = 0, reconCells = 0, purityCount = 0, coverageCount = 0;
        var wasTraining = model.training;
        var generatorWasTraining = generator?.training ?? false;
        model.eval();
        generator?.eval();
        try
        {
            for (var start = 0; start < users.Count; start += batchSize)
            {
                var count = Math.Min(batchSize, users.Count - start);
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                var batch = users.Batch(start, count);
                var ids = model.HistoryIds(batch, out var l);   // [B, L]

                var input = tensor(ids, [count, l], device: model.ItemEmbeddings.device);
                var (output, x, mask) = model.Encode(input);
                var z = nn.functional.normalize(output.Interests, p: 2, dim: -1);                        // [B, K, d]
                if (k > 1)
                {
                    var cos = z.matmul(z.transpose(1, 2));                                                // [B, K, K]
                    var offDiagonal = cos.sum() - cos.diagonal(0, 1, 2).sum();
                    cosSum += offDiagonal.item<float>();
                    cosCount += (long)count * k * (k - 1);
                }

                var (r, logR) = Extractors.MaskedAttention.Softmax(output.Interests.matmul(x.transpose(1, 2)), mask);
                var kl = (r * (logR - output.LogAttention)).sum(-1);                                       // [B, K]
                klSum += kl.sum().item<float>();
                klCount += (long)count * k;

                if (generator is not null)
                {
                    var context = new BackwardFlowContext(output.Interests, output.Attention, output.LogAttention, x, mask);
                    // Weight each batch's per-positive mean by its positive cells: the mean over all positive cells,
                    // whatever the batch size (an unweighted mean of batch means is not).
                    var cells = Positives.Of(output.Attention, mask, generator.Options.Threshold, generator.Options.FixedThreshold).sum().item<long>();
                    reconSum += generator.ReconstructionError(context) * cells;
                    reconCells += cells;
                    reconBatches++;
                }

                if (topicOf is not null)
                {
                    var attention = output.Attention.cpu().data<float>().ToArray();                       // [B, K, L]
                    for (var b = 0; b < count; b++)
                    {
                        var history = batch[b][Math.Max(0, batch[b].Length - l)..];
                        var n = history.Length;
                        var userTopics = new HashSet<int>();
                        foreach (var item in history) userTopics.Add(topicOf(item));
                        var distinct = new HashSet<int>();
                        for (var q = 0; q < k; q++)
                        {
                            var counts = new Dictionary<int, int>();
                            var positives = 0;
                            for (var i = 0; i < n; i++)
                            {
                                if (attention[(b * k + q) * l + i] <= 1.0f / n) continue;   // the positive rule, γ = 1/n
                                var item = config.ReverseHistory ? history[n - 1 - i] : history[i];
                                var t = topicOf(item);
                                counts[t] = counts.GetValueOrDefault(t) + 1;
                                positives++;
                            }

                            if (positives == 0) continue;
                            var best = counts.MaxBy(c => c.Value);
                            puritySum += (double)best.Value / positives;
                            purityCount++;
                            distinct.Add(best.Key);
                        }

                        if (distinct.Count > 0)
                        {
                            coverageSum += (double)distinct.Count / Math.Min(k, userTopics.Count);
                            coverageCount++;
                        }
                    }
                }
            }
        }
        finally
        {
            model.train(wasTraining);
            generator?.train(generatorWasTraining);
        }

        return new InterestDiagnosticsReport(
            users.Count,
            cosCount > 0 ? cosSum / cosCount : double.NaN,
            klCount > 0 ? klSum / klCount : double.NaN,
            reconBatches > 0 ? (reconCells > 0 ? reconSum / reconCells : 0) : null,
            topicOf is null ? null : purityCount > 0 ? puritySum / purityCount : double.NaN,
            topicOf is null ? null : coverageCount > 0 ? coverageSum / coverageCount : double.NaN);
    }
}
