namespace Re4.Recommenders.Hosting;

/// <summary><see cref="Recommendation.Items"/> of a checkpoint whose ids are text: any read throws, naming the text
/// members, rather than answering with made-up numbers.</summary>
internal sealed class TextItemIds : IReadOnlyList<long>
{
    public static readonly TextItemIds Instance = new();

    private TextItemIds()
    {
    }

    public int Count => throw Error();

    public long this[int index] => throw Error();

    public IEnumerator<long> GetEnumerator() => throw Error();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => "(text ids: see ItemKeys)";

    private static InvalidOperationException Error() => new(
        $"The served checkpoint's item ids are text, not numbers: read {nameof(Recommendation)}.{nameof(Recommendation.ItemKeys)} " +
        $"(and ask with {nameof(RecommendationRequest)}.{nameof(RecommendationRequest.ForKeys)} or {nameof(IRe4Recommender)}.{nameof(IRe4Recommender.RecommendKeys)}).");
}
