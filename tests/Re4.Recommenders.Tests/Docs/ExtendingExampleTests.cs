using System.Text.RegularExpressions;
using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Data;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Hosting;
using Re4.Recommenders.Models;
using Re4.Recommenders.Tests.Extractors;
using Re4.Recommenders.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Docs;

// The worked example of docs/extending.md. Every C# block of that page is a verbatim part of this file (the last test
// checks it), so the page cannot drift from code that compiles and passes.

/// <summary>K learned query vectors attend over the history: A = softmax over valid items of q_k·x_l / √d, Z = A·X.</summary>
public sealed class LearnedQueryExtractor : InterestExtractor
{
    private readonly Parameter queries;   // [K, d]; the field name is the parameter's name in saved weights

    public LearnedQueryExtractor(int interests, int dimension)
        : base(nameof(LearnedQueryExtractor))
    {
        InterestCount = interests;
        Dimension = dimension;
        using var scale = Math.Sqrt(dimension).ToScalar();   // owned Scalars, kept alive for the call (see above)
        queries = nn.Parameter(randn(interests, dimension) / scale);
        RegisterComponents();
    }

    public override int InterestCount { get; }

    public override int Dimension { get; }

    public override InterestOutput Extract(Tensor history, Tensor mask)
    {
        using var scope = NewDisposeScope();
        using var scale = Math.Sqrt(Dimension).ToScalar();
        using var zero = 0.ToScalar();
        using var paddingLogit = (-1e9).ToScalar();
        var logits = queries.matmul(history.transpose(1, 2)) / scale;                   // [B, K, L]
        // Padding gets a large but finite negative logit: its attention underflows to exactly 0 and log A stays finite,
        // which the re-attend flow needs.
        var padding = mask.unsqueeze(1).eq(zero);                                       // [B, 1, L]
        var masked = logits.masked_fill(padding, paddingLogit);
        var attention = masked.softmax(-1);
        var logAttention = masked.log_softmax(-1);
        var interests = attention.matmul(history);                                      // [B, K, d]
        return new InterestOutput(interests.MoveToOuterDisposeScope(), attention.MoveToOuterDisposeScope(),
            logAttention.MoveToOuterDisposeScope());
    }
}

/// <summary>Pushes a user's interests apart: the mean squared cosine similarity of every pair of distinct interests.</summary>
public sealed class InterestSpreadFlow : IBackwardFlow
{
    public string Name => "spread";

    public Tensor ComputeLoss(BackwardFlowContext context)
    {
        using var scope = NewDisposeScope();
        var z = nn.functional.normalize(context.Interests, p: 2, dim: -1);   // [B, K, d]
        var cosine = z.matmul(z.transpose(1, 2));                            // [B, K, K]
        var k = cosine.shape[1];
        var offDiagonal = ones(k, k, device: cosine.device) - eye(k, device: cosine.device);   // tensor − tensor: no Scalar
        using var two = 2.ToScalar();
        using var pairs = Math.Max(1, k * (k - 1)).ToScalar();
        var loss = (cosine.pow(two) * offDiagonal).sum(-1).sum(-1) / pairs;   // [B]
        return loss.mean().MoveToOuterDisposeScope();
    }
}

/// <summary>The example against naive double computations, then trained, saved, loaded and served end to end.</summary>
public sealed class ExtendingExampleTests
{
    [Fact]
    public void LearnedQueryExtractor_ComputesSoftmaxAttentionOverValidItemsAndItsWeightedSum()
    {
        const int b = 2, l = 4, d = 3, k = 2;
        int[] lengths = [4, 2];
        manual_seed(3);
        using var extractor = new LearnedQueryExtractor(k, d);
        var q = Naive.Parameters(extractor).Get("queries");
        var x = Naive.History(11, lengths, l, d);
        var m = Naive.Mask(lengths, l);
        using var output = extractor.Extract(tensor(x, [b, l, d]), tensor(m, [b, l]));
        var z = Naive.Values(output.Interests);
        var a = Naive.Values(output.Attention);
        var logA = Naive.Values(output.LogAttention);

        for (var u = 0; u < b; u++)
        {
            for (var i = 0; i < k; i++)
            {
                var logits = Enumerable.Range(0, lengths[u])
                    .Select(p => Enumerable.Range(0, d).Sum(j => q[i, j] * x[(u * l + p) * d + j]) / Math.Sqrt(d)).ToArray();
                var max = logits.Max();
                var total = logits.Sum(v => Math.Exp(v - max));
                for (var p = 0; p < l; p++)
                {
                    var expected = p < lengths[u] ? Math.Exp(logits[p] - max) / total : 0.0;
                    ((double)a[(u * k + i) * l + p]).Should().BeApproximately(expected, 1e-5, "A[{0},{1},{2}]", u, i, p);
                    float.IsFinite(logA[(u * k + i) * l + p]).Should().BeTrue("log A is finite, padding included");
                }

                for (var j = 0; j < d; j++)
                {
                    var expected = Enumerable.Range(0, lengths[u]).Sum(p => Math.Exp(logits[p] - max) / total * x[(u * l + p) * d + j]);
                    ((double)z[(u * k + i) * d + j]).Should().BeApproximately(expected, 1e-5, "Z[{0},{1},{2}]", u, i, j);
                }
            }
        }
    }

    [Fact]
    public void InterestSpreadFlow_IsTheMeanSquaredCosineOfDistinctInterestPairs()
    {
        const int b = 2, k = 3, d = 4;
        var z = Naive.RandomFloats(5, b * k * d);
        double expected = 0;
        for (var u = 0; u < b; u++)
        {
            double sum = 0;
            for (var i = 0; i < k; i++)
            {
                for (var j = 0; j < k; j++)
                {
                    if (i == j) continue;
                    double dot = 0, ni = 0, nj = 0;
                    for (var c = 0; c < d; c++)
                    {
                        double zi = z[(u * k + i) * d + c], zj = z[(u * k + j) * d + c];
                        dot += zi * zj;
                        ni += zi * zi;
                        nj += zj * zj;
                    }

                    sum += dot * dot / (ni * nj);
                }
            }

            expected += sum / (k * (k - 1)) / b;
        }

        using var interests = tensor(z, [b, k, d]);
        using var unused = zeros(1);
        using var loss = new InterestSpreadFlow().ComputeLoss(new BackwardFlowContext(interests, unused, unused, unused, unused));
        loss.item<float>().Should().BeApproximately((float)expected, 1e-5f);
    }

    [Fact]
    public void Example_TrainsWithBothPlugIns_ThenLoadsAndServes()
    {
        using var dir = new TempDir();
        var data = DatasetPreparation.Prepare(PlantedInterestGenerator.Generate(new SyntheticDataOptions { Users = 300, Items = 100, Topics = 5, Seed = 4 }), DatasetFilter.ComiRec());
        var split = DataSplitter.ComiRec(data, seed: 1);
        var runDirectory = dir.Path;

        var config = new ModelConfig { Encoder = "LearnedQuery", Label = "learned-query", ItemCount = data.ItemCount, Interests = 2, Dimension = 16 };
        manual_seed(2022);   // the initial weights: item table and queries
        var model = new MultiInterestModel(config, new LearnedQueryExtractor(config.Interests, config.Dimension));
        var options = new TrainerOptions
        {
            MaxSteps = 60,
            EvaluateEvery = 30,
            BatchSize = 32,
            BackwardFlows = new BackwardFlowOptions { Attend = new ReAttendOptions() },   // Re4's flows plug on as well
            CustomFlows = [new WeightedBackwardFlow(new InterestSpreadFlow(), Weight: 0.1)],
            CheckpointDirectory = runDirectory,
        };
        using var trainer = new MultiInterestTrainer(split, model, options);
        var result = trainer.Fit();

        // A saved custom model is rebuilt around your extractor when loaded or served.
        using var loaded = ModelCheckpoint.Load(Path.Combine(runDirectory, "model"), c => new LearnedQueryExtractor(c.Interests, c.Dimension));
        using var service = new Re4RecommenderService(new Re4RecommenderOptions
        {
            CheckpointPath = runDirectory,
            CustomExtractor = c => new LearnedQueryExtractor(c.Interests, c.Dimension),
        });

        result.History.Should().NotBeEmpty();
        result.History[^1].LossParts.Keys.Should().Contain(["spread", "attend"], "both flows were part of the loss");
        service.Name.Should().Be("learned-query");
        var history = HistoryBatch.FromHistories([[1, 2, 3]]);
        new MultiInterestRecommender(loaded.Model).InterestVectors(history)
            .Should().Equal(new MultiInterestRecommender(trainer.Model).InterestVectors(history), "the checkpoint holds the selected model");
        service.Recommend([loaded.OriginalItemId(1), loaded.OriginalItemId(2)], top: 5).Items.Should().HaveCount(5);

        FluentActions.Invoking(() => ModelCheckpoint.Load(Path.Combine(runDirectory, "model")))
            .Should().Throw<InvalidDataException>().WithMessage("*encoder 'LearnedQuery' is not registered*");
    }

    [Fact]
    public void CustomModel_SaysWhatIsWrong()
    {
        var custom = new ModelConfig { Encoder = "LearnedQuery", ItemCount = 5, Interests = 2, Dimension = 4 };
        FluentActions.Invoking(() => new MultiInterestModel(custom)).Should().Throw<ArgumentException>().WithMessage("*No encoder is registered as 'LearnedQuery'*");
        FluentActions.Invoking(() => new MultiInterestModel(custom with { Encoder = ComiRecSaDescriptor.EncoderName }, new LearnedQueryExtractor(2, 4)))
            .Should().Throw<ArgumentException>().WithMessage("*ComiRecSA is a registered encoder*");
        FluentActions.Invoking(() => new MultiInterestModel(custom, new LearnedQueryExtractor(3, 4)))
            .Should().Throw<ArgumentException>().WithMessage("*K = 3, d = 4*K = 2, d = 4*");
    }

    [Fact]
    public void ExtendingPage_HasEveryCodeBlockInADocsTestFile()
    {
        static string Squash(string text) => Regex.Replace(text, @"\s+", " ").Trim();
        var page = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "docs", "extending.md"));
        // The page's examples live in this file and its siblings Docs/Extending*.cs (one per thing you can add).
        var docs = Path.Combine(TestPaths.RepositoryRoot, "tests", "Re4.Recommenders.Tests", "Docs");
        var source = Squash(string.Join("\n", Directory.GetFiles(docs, "Extending*.cs").Order(StringComparer.Ordinal).Select(File.ReadAllText)));
        var blocks = Regex.Matches(page, "```csharp\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();
        blocks.Should().HaveCountGreaterThanOrEqualTo(3);
        foreach (var block in blocks) source.Should().Contain(Squash(block));
    }
}
