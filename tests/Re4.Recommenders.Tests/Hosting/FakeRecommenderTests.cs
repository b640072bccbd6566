using Microsoft.Extensions.DependencyInjection;
using Re4.Recommenders.Hosting;
using Re4.Recommenders.Models;

namespace Re4.Recommenders.Tests.Hosting;

/// <summary>An app's own code depends on <see cref="IRe4Recommender"/>, so its tests run against a hand-written fake
/// with no checkpoint and no TorchSharp.</summary>
public sealed class FakeRecommenderTests
{
    /// <summary>A fake: recommends the items after the last one of the history.</summary>
    private sealed class FakeRecommender : IRe4Recommender
    {
        public List<RecommendationRequest> Requests { get; } = new();

        public ServedModelInfo Model { get; } = new("fake", new ModelConfig { ItemCount = 100 }, "/nowhere", 1, DateTimeOffset.UnixEpoch, "cpu");

        public int MaxTop => 50;

        public bool Knows(long itemId) => itemId is >= 1 and <= 100;

        public Recommendation Recommend(RecommendationRequest request, CancellationToken cancellationToken = default)
        {
            Requests.Add(request);
            var last = request.History.Count == 0 ? 0 : request.History[^1];
            var items = Enumerable.Range(1, request.Top).Select(i => last + i).ToArray();
            return new Recommendation(items, items.Select(i => (float)-i).ToArray(), items.Select(_ => 0).ToArray());
        }

        public IReadOnlyList<Recommendation> RecommendBatch(IReadOnlyList<RecommendationRequest> requests, CancellationToken cancellationToken = default) =>
            requests.Select(r => Recommend(r, cancellationToken)).ToArray();
    }

    /// <summary>App code under test: a shelf of items the shop can sell.</summary>
    private sealed class Shelf(IRe4Recommender recommender)
    {
        public IReadOnlyList<long> For(long[] basket, ISet<long> outOfStock) =>
            recommender.Recommend(new RecommendationRequest(basket, 3) { ExcludeItems = basket, ExcludeWhere = outOfStock.Contains }).Items;
    }

    [Fact]
    public void Shelf_PassesItsExclusionsToTheRecommender()
    {
        var fake = new FakeRecommender();
        var services = new ServiceCollection().AddSingleton<IRe4Recommender>(fake).AddSingleton<Shelf>();
        using var provider = services.BuildServiceProvider();

        var shelf = provider.GetRequiredService<Shelf>().For([10, 20], new HashSet<long> { 22 });

        shelf.Should().Equal(new long[] { 21, 22, 23 }, "the fake ignores exclusions: the test checks what the shelf asked for");
        var request = fake.Requests.Should().ContainSingle().Which;
        request.ExcludeItems.Should().Equal(10, 20);
        request.ExcludeWhere!(22).Should().BeTrue();
        request.Top.Should().Be(3);
    }

    [Fact]
    public void Recommend_WithHistoryAndTop_GoesThroughTheRequestOverload()
    {
        IRe4Recommender fake = new FakeRecommender();
        fake.Recommend([5], 2).Items.Should().Equal(6, 7);
        ((FakeRecommender)fake).Requests.Should().ContainSingle().Which.Top.Should().Be(2);
    }
}
