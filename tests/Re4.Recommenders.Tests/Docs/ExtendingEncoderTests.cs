using Re4.Recommenders.Data;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Tests.Extractors;
using Re4.Recommenders.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Docs;

// Section 5 of docs/extending.md: an encoder written as the built-in ones are (extractor, options, descriptor), registered
// by name, trained, saved and loaded back by name. Its code blocks are verbatim parts of this file.

/// <summary>The keyed-query encoder's options.</summary>
public sealed record KeyedQueryOptions
{
    public double Temperature { get; init; } = 1.0;   // divides the attention logits
    public bool KeyBias { get; init; }                // a bias in the key projection
}

/// <summary>K learned queries over projected keys: A = softmax over valid items of q_k·(W x_l + b) / (τ√d), Z = A·X.</summary>
public sealed class KeyedQueryExtractor : InterestExtractor
{
    private readonly Parameter queries;   // [K, d]
    private readonly Linear keys;         // d → d
    private readonly double _scale;

    public KeyedQueryExtractor(int interests, int dimension, KeyedQueryOptions options)
        : base(nameof(KeyedQueryExtractor))
    {
        InterestCount = interests;
        Dimension = dimension;
        _scale = 1 / (options.Temperature * Math.Sqrt(dimension));
        using var initScale = Math.Sqrt(dimension).ToScalar();
        queries = nn.Parameter(randn(interests, dimension) / initScale);
        keys = nn.Linear(dimension, dimension, hasBias: options.KeyBias);
        RegisterComponents();
    }

    public override int InterestCount { get; }

    public override int Dimension { get; }

    public override InterestOutput Extract(Tensor history, Tensor mask)
    {
        using var scope = NewDisposeScope();
        using var scale = _scale.ToScalar();
        using var zero = 0.ToScalar();
        using var paddingLogit = (-1e9).ToScalar();
        var logits = queries.matmul(keys.forward(history).transpose(1, 2)) * scale;    // [B, K, L]
        var padding = mask.unsqueeze(1).eq(zero);                                      // [B, 1, L]
        var masked = logits.masked_fill(padding, paddingLogit);
        var attention = masked.softmax(-1);
        var logAttention = masked.log_softmax(-1);
        var interests = attention.matmul(history);                                     // [B, K, d]
        return new InterestOutput(interests.MoveToOuterDisposeScope(), attention.MoveToOuterDisposeScope(),
            logAttention.MoveToOuterDisposeScope());
    }
}

/// <summary>What the library needs to build the keyed-query encoder by name.</summary>
public sealed class KeyedQueryDescriptor : EncoderDescriptor<KeyedQueryOptions>
{
    public const string EncoderName = "KeyedQuery";

    public KeyedQueryDescriptor()
        : base(EncoderName, "keyed-query", multiInterest: true)
    {
    }

    public override KeyedQueryOptions CreateDefaultOptions() => new();

    protected override InterestExtractor Create(ModelConfig config, KeyedQueryOptions options) =>
        new KeyedQueryExtractor(config.Interests, config.Dimension, options);
}

/// <summary>The encoder against a naive double computation, then registered, trained, saved and loaded by name.</summary>
public sealed class ExtendingEncoderTests
{
    [Fact]
    public void KeyedQueryExtractor_AttendsWithProjectedKeysAtItsTemperature()
    {
        const int b = 2, l = 3, d = 2, k = 2;
        int[] lengths = [3, 1];
        manual_seed(6);
        using var extractor = new KeyedQueryExtractor(k, d, new KeyedQueryOptions { Temperature = 0.5, KeyBias = true });
        var p = Naive.Parameters(extractor);
        double[] q = p.Get("queries").Data, w = p.Get("keys.weight").Data, bias = p.Get("keys.bias").Data;
        var x = Naive.History(9, lengths, l, d);
        using var history = tensor(x, [b, l, d]);
        using var mask = tensor(Naive.Mask(lengths, l), [b, l]);

        using var output = extractor.Extract(history, mask);

        var z = Naive.Values(output.Interests);
        for (var u = 0; u < b; u++)
        {
            for (var i = 0; i < k; i++)
            {
                // logit_l = q_i · (W x_l + b) / (τ √d) over the valid l, then a softmax and the weighted sum of x.
                var logits = new double[lengths[u]];
                for (var pos = 0; pos < lengths[u]; pos++)
                {
                    for (var r = 0; r < d; r++)
                    {
                        var key = bias[r];
                        for (var c = 0; c < d; c++) key += w[r * d + c] * x[(u * l + pos) * d + c];
                        logits[pos] += q[i * d + r] * key / (0.5 * Math.Sqrt(d));
                    }
                }

                var max = logits.Max();
                var weights = logits.Select(v => Math.Exp(v - max)).ToArray();
                var total = weights.Sum();
                for (var c = 0; c < d; c++)
                {
                    var expected = 0.0;
                    for (var pos = 0; pos < lengths[u]; pos++) expected += weights[pos] / total * x[(u * l + pos) * d + c];
                    z[(u * k + i) * d + c].Should().BeApproximately((float)expected, 1e-5f);
                }
            }
        }
    }

    [Fact]
    public void KeyedQueryEncoder_IsRegisteredTrainedSavedAndLoadedByName()
    {
        using var dir = new TempDir();
        var data = DatasetPreparation.Prepare(PlantedInterestGenerator.Generate(new SyntheticDataOptions { Users = 300, Items = 100, Topics = 5, Seed = 4 }), DatasetFilter.ComiRec());
        var split = DataSplitter.ComiRec(data, seed: 1);
        var runDirectory = dir.Path;
        float[] trained;

        EncoderRegistry.Register(new KeyedQueryDescriptor());   // once, at start-up: one line, as for the built-in encoders

        var config = new ModelConfig
        {
            Encoder = KeyedQueryDescriptor.EncoderName,
            EncoderOptions = new KeyedQueryOptions { Temperature = 0.5, KeyBias = true },
            ItemCount = data.ItemCount,
            Interests = 2,
            Dimension = 16,
            MaxLength = split.MaxLength,
        };
        var options = new TrainerOptions { MaxSteps = 20, EvaluateEvery = 10, BatchSize = 32, CheckpointDirectory = runDirectory };
        using (var trainer = new MultiInterestTrainer(split, config, options))
        {
            trainer.Fit();
            using var recommender = new MultiInterestRecommender(trainer.Model);
            trained = recommender.InterestVectors(HistoryBatch.FromHistories([[1, 2, 3]]));
        }

        // model.json names the encoder and holds its options: the checkpoint loads by name, as a built-in one does.
        using var loaded = ModelCheckpoint.Load(Path.Combine(runDirectory, "model"));

        loaded.Model.Extractor.Should().BeOfType<KeyedQueryExtractor>();
        loaded.Model.Config.EncoderOptions.Should().Be(new KeyedQueryOptions { Temperature = 0.5, KeyBias = true });
        File.ReadAllText(Path.Combine(runDirectory, "model", ModelCheckpoint.ConfigFile)).Should().Contain("\"temperature\": 0.5");
        using var served = new MultiInterestRecommender(loaded.Model);
        served.InterestVectors(HistoryBatch.FromHistories([[1, 2, 3]])).Should().Equal(trained, "the checkpoint holds the selected model");
        EncoderRegistry.TryGetByCliName("keyed-query", out var byCliName).Should().BeTrue();
        byCliName.Should().BeOfType<KeyedQueryDescriptor>();
    }
}
