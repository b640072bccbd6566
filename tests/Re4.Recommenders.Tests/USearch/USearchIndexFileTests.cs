using Re4.Recommenders.Data;
using Re4.Recommenders.Scoring;
using Re4.Recommenders.USearch;

namespace Re4.Recommenders.Tests.USearch;

/// <summary>The index file: a round trip gives the same answers; a stale, damaged or foreign file is refused with a
/// message that says why, and <see cref="USearchCandidateScorer.OpenOrBuild"/> rebuilds it instead.</summary>
public sealed class USearchIndexFileTests : IDisposable
{
    private const int N = 2000, D = 16, K = 2;
    private readonly TempDir _dir = new();
    private readonly float[] _data = USearchTestData.Uniform(61, N, D);
    private readonly CandidateQuery _query = new(USearchTestData.Vectors(62, 10 * K * D), 10, K, HistoryBatch.FromHistories(
        Enumerable.Range(0, 10).Select(u => new[] { u + 1, 2 * u + 5 }).ToArray()));

    private string IndexPath => Path.Combine(_dir.Path, USearchCandidateScorer.IndexFileName);

    [Fact]
    public void SaveThenLoad_GivesTheSameAnswers()
    {
        var table = new ItemEmbeddingTable(_data, D);
        using var built = USearchCandidateScorer.Build(table);
        var before = built.Retrieve(_query, 30);

        built.Save(IndexPath);
        using var loaded = USearchCandidateScorer.Load(IndexPath, table);
        var after = loaded.Retrieve(_query, 30);

        loaded.Origin.Should().Be(USearchIndexOrigin.Loaded);
        after.Items.Should().Equal(before.Items);
        after.Scores.Should().Equal(before.Scores);
        after.Interests.Should().Equal(before.Interests);
        Directory.GetFiles(_dir.Path).Should().Equal([IndexPath], "the temporary file is renamed over the index");
    }

    [Fact]
    public void Load_ItemTableChanged_IsRefusedAsStale()
    {
        Save();
        var retrained = (float[])_data.Clone();
        retrained[5 * D + 3] += 0.25f;

        var act = () => USearchCandidateScorer.Load(IndexPath, new ItemEmbeddingTable(retrained, D));

        act.Should().Throw<InvalidDataException>().WithMessage($"{IndexPath} is stale: it was built from an item table with hash *; the model's item table has hash *");
    }

    [Fact]
    public void Load_OtherItemCount_IsRefusedAsStale()
    {
        Save();
        var grown = new float[(N + 2) * D];
        _data.CopyTo(grown, 0);

        var act = () => USearchCandidateScorer.Load(IndexPath, new ItemEmbeddingTable(grown, D));

        act.Should().Throw<InvalidDataException>().WithMessage($"{IndexPath} is stale: its item count is {N}; expected {N + 1}*");
    }

    [Fact]
    public void Load_OtherConnectivity_IsRefusedAsStale()
    {
        Save();

        var act = () => USearchCandidateScorer.Load(IndexPath, new ItemEmbeddingTable(_data, D), new USearchScorerOptions { Connectivity = 8 });

        act.Should().Throw<InvalidDataException>().WithMessage($"{IndexPath} is stale: its connectivity is {USearchScorerOptions.DefaultConnectivity}; expected 8*");
    }

    [Fact]
    public void Load_DamagedPayload_IsRefusedBeforeNativeCode()
    {
        Save();
        var bytes = File.ReadAllBytes(IndexPath);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(IndexPath, bytes);

        var act = () => USearchCandidateScorer.Load(IndexPath, new ItemEmbeddingTable(_data, D));

        act.Should().Throw<InvalidDataException>().WithMessage($"{IndexPath} is damaged: its index bytes hash to *; the header records *");
    }

    [Fact]
    public void Load_TruncatedFile_IsRefused()
    {
        Save();
        var bytes = File.ReadAllBytes(IndexPath);
        File.WriteAllBytes(IndexPath, bytes[..(bytes.Length - 100)]);

        var act = () => USearchCandidateScorer.Load(IndexPath, new ItemEmbeddingTable(_data, D));

        act.Should().Throw<InvalidDataException>().WithMessage($"{IndexPath} has {bytes.Length - 100 - 80} bytes after its header; the header records {bytes.Length - 80}: the file is truncated or damaged.");
    }

    [Fact]
    public void Load_NotAnIndex_IsRefused()
    {
        File.WriteAllText(IndexPath, "{\"this is\": \"json, not an index, and long enough to hold a whole header of eighty bytes\"}");

        var act = () => USearchCandidateScorer.Load(IndexPath, new ItemEmbeddingTable(_data, D));

        act.Should().Throw<InvalidDataException>().WithMessage($"{IndexPath} does not start with 'RE4USIDX' (it starts with '{{\"this i'): it is not a Re4 USearch index file.");
    }

    [Fact]
    public void OpenOrBuild_StaleFile_RebuildsAndReplacesIt()
    {
        Save();
        var retrained = (float[])_data.Clone();
        retrained[D] = -retrained[D];
        var table = new ItemEmbeddingTable(retrained, D);

        using (var rebuilt = USearchCandidateScorer.OpenOrBuild(IndexPath, table))
            rebuilt.Origin.Should().Be(USearchIndexOrigin.Built);
        using var reopened = USearchCandidateScorer.OpenOrBuild(IndexPath, table);

        reopened.Origin.Should().Be(USearchIndexOrigin.Loaded, "the rebuilt index was saved over the stale one");
    }

    [Fact]
    public void OpenOrBuild_NoFile_BuildsAndSaves()
    {
        using var scorer = USearchCandidateScorer.OpenOrBuild(IndexPath, new ItemEmbeddingTable(_data, D));

        scorer.Origin.Should().Be(USearchIndexOrigin.Built);
        File.Exists(IndexPath).Should().BeTrue();
    }

    public void Dispose() => _dir.Dispose();

    private void Save()
    {
        using var scorer = USearchCandidateScorer.Build(new ItemEmbeddingTable(_data, D));
        scorer.Save(IndexPath);
    }
}
