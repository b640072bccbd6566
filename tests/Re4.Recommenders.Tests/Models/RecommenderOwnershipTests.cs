using Re4.Recommenders.Data;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Scoring;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Models;

/// <summary>Who frees what: a recommender frees the scorer it creates (its device copy of the item table), never the
/// model or a scorer it is given; a loaded model is freed by whoever loaded it. Counted with TorchSharp's live-tensor
/// statistics, on the CPU.</summary>
public sealed class RecommenderOwnershipTests
{
    private static MultiInterestModel Build()
    {
        manual_seed(5);
        return new MultiInterestModel(new ModelConfig { Encoder = ComiRecSaDescriptor.EncoderName, ItemCount = 20, Dimension = 4, Interests = 2, MaxLength = 5 });
    }

    private static long Live => DisposeScopeManager.Statistics.ThreadTotalLiveCount;

    [Fact]
    public void Dispose_FreesTheItemCopyOfTheScorerItCreated()
    {
        using var model = Build();
        var histories = HistoryBatch.FromHistories([[1, 2], [3]]);
        var before = Live;

        var recommender = new MultiInterestRecommender(model, m =>
        {
            using var scope = NewDisposeScope();   // frees the handle ItemEmbeddings wraps the weight in, as DefaultScorer does
            return new TorchCandidateScorer(m.ItemEmbeddings);
        });
        var withCopy = Live;
        recommender.Retrieve(histories, 3, excludeHistory: true);
        var afterRetrieve = Live;
        recommender.Dispose();

        withCopy.Should().BeGreaterThan(before, "the scorer holds a copy of the item table (else this test could not fail)");
        afterRetrieve.Should().Be(withCopy, "retrieval leaves nothing behind");
        Live.Should().Be(before, "the recommender created the scorer, so it frees its copy");
        model.ItemEmbeddings.IsInvalid.Should().BeFalse("the model is borrowed");
    }

    [Fact]
    public void Recommender_BorrowsAGivenScorerAndTheModel()
    {
        using var model = Build();
        using var scorer = new TorchCandidateScorer(model.ItemEmbeddings);
        var histories = HistoryBatch.FromHistories([[1, 2]]);
        var expected = new MultiInterestRecommender(model, scorer).Retrieve(histories, 3, excludeHistory: false).Items;

        new MultiInterestRecommender(model, scorer).Dispose();

        new MultiInterestRecommender(model, scorer).Retrieve(histories, 3, excludeHistory: false).Items.Should().Equal(expected, "neither was freed");
    }

    [Fact]
    public void Scorer_OutlivesADisposeScopeItIsBuiltIn()
    {
        // The default scorer is built inside a scope (MultiInterestRecommender.DefaultScorer): its copy must not die with it.
        using var model = Build();
        TorchCandidateScorer fromTensor, fromTable;
        using (NewDisposeScope())
        {
            fromTensor = new TorchCandidateScorer(model.ItemEmbeddings);
            fromTable = new TorchCandidateScorer(MultiInterestRecommender.ItemTable(model));
        }

        using var _t = fromTensor;
        using var _m = fromTable;
        var query = new CandidateQuery(new float[] { 1, 0, 0, 0, 0, 1, 0, 0 }, 1, 2);
        var managed = new ManagedCandidateScorer(MultiInterestRecommender.ItemTable(model)).Retrieve(query, 4);
        fromTensor.Retrieve(query, 4).Items.Should().Equal(managed.Items);
        fromTable.Retrieve(query, 4).Items.Should().Equal(managed.Items);
    }

    [Fact]
    public void Dispose_FreesTheWeightsOfALoadedModel()
    {
        using var dir = new TempDir();
        using (var model = Build()) ModelCheckpoint.Save(dir.Path + "/m", model, Enumerable.Range(0, 21).Select(i => (long)i).ToArray());
        var loaded = ModelCheckpoint.Load(dir.Path + "/m");
        var parameters = loaded.Model.parameters().ToArray();
        parameters.Should().NotBeEmpty().And.OnlyContain(p => !p.IsInvalid);

        loaded.Dispose();

        parameters.Should().OnlyContain(p => p.IsInvalid);
    }
}
