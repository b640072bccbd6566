using Re4.Recommenders.Data;

namespace Re4.Recommenders.Tests.Data;

internal static class DataTestHelpers
{
    /// <summary>User <paramref name="user"/>'s sequence as original item ids, oldest first.</summary>
    public static long[] Originals(SequenceDataset dataset, int user) =>
        dataset.Sequence(user).ToArray().Select(i => dataset.OriginalItemId(i)).ToArray();

    /// <summary>All users' original ids, in dense order.</summary>
    public static long[] UserIds(SequenceDataset dataset) =>
        Enumerable.Range(0, dataset.UserCount).Select(dataset.OriginalUserId).ToArray();

    /// <summary>A data set whose dense item ids equal the original ids 1..<paramref name="itemCount"/>; users 1..U.</summary>
    public static SequenceDataset Identity(int itemCount, params int[][] sequences)
    {
        var offsets = new int[sequences.Length + 1];
        for (var u = 0; u < sequences.Length; u++) offsets[u + 1] = offsets[u] + sequences[u].Length;
        var items = sequences.SelectMany(s => s).ToArray();
        var userIds = Enumerable.Range(1, sequences.Length).Select(u => (long)u).ToArray();
        var itemIds = Enumerable.Range(0, itemCount + 1).Select(i => (long)i).ToArray();
        return new SequenceDataset("test", offsets, items, userIds, itemIds);
    }
}
