using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using Re4.Recommenders.Data;

namespace Re4.Recommenders.Training;

/// <summary>What a run was trained on, as <c>resume/trainer.json</c> records it: the data set's sizes, a hash of its item
/// id map (dense id → original id) and a hash of the split's user lists (training users with their trainable lengths,
/// validation and test users). Resuming on other data (another file, filter or split seed) is refused with the first
/// difference, instead of training a model whose ids or split mean something else.</summary>
internal sealed record DataFingerprint(int Items, int Users, long Interactions, string ItemIds, string Split)
{
    /// <summary>The fingerprint of <paramref name="split"/> and its data set.</summary>
    public static DataFingerprint Of(DataSplit split)
    {
        ArgumentNullException.ThrowIfNull(split);
        var dataset = split.Dataset;
        var ids = new XxHash64();
        var map = dataset.ItemIds;
        if (map.IsNumeric)
        {
            var original = new long[dataset.ItemCount + 1];
            for (var i = 1; i <= dataset.ItemCount; i++) original[i] = map.GetNumber(i);
            ids.Append(MemoryMarshal.AsBytes(original.AsSpan()));
        }
        else
        {
            // Text ids: each one's UTF-8 bytes after its length, so that no two different lists hash the same bytes.
            for (var i = 1; i <= dataset.ItemCount; i++)
            {
                var bytes = System.Text.Encoding.UTF8.GetBytes(map[i]);
                ids.Append(BitConverter.GetBytes(bytes.Length));
                ids.Append(bytes);
            }
        }

        var users = new XxHash64();
        var train = new int[split.TrainCount * 2];
        for (var i = 0; i < split.TrainCount; i++)
        {
            train[2 * i] = split.TrainUser(i);
            train[2 * i + 1] = split.TrainSequence(i).Length;
        }

        users.Append(MemoryMarshal.AsBytes(train.AsSpan()));
        foreach (var set in new[] { split.Valid, split.Test })
        {
            var list = new int[set.Count + 1];
            list[0] = set.Count;   // where the validation users end and the test users begin
            for (var i = 0; i < set.Count; i++) list[i + 1] = set.User(i);
            users.Append(MemoryMarshal.AsBytes(list.AsSpan()));
        }

        return new DataFingerprint(dataset.ItemCount, dataset.UserCount, dataset.InteractionCount, Hex(ids), Hex(users));
    }

    /// <summary>The first way <paramref name="other"/> differs from this fingerprint, in words, or null when it does not.</summary>
    public string? Difference(DataFingerprint other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Items != other.Items) return string.Create(CultureInfo.InvariantCulture, $"the run was trained on {Items} items; these data have {other.Items}");
        if (Users != other.Users) return string.Create(CultureInfo.InvariantCulture, $"the run was trained on {Users} users; these data have {other.Users}");
        if (Interactions != other.Interactions)
            return string.Create(CultureInfo.InvariantCulture, $"the run was trained on {Interactions} interactions; these data have {other.Interactions}");
        if (ItemIds != other.ItemIds) return "the item ids differ from the run's (another data file with as many items)";
        if (Split != other.Split) return "the split's training, validation or test users differ from the run's (another split seed, protocol or data)";
        return null;
    }

    private static string Hex(NonCryptographicHashAlgorithm hash) => Convert.ToHexString(hash.GetCurrentHash()).ToLowerInvariant();
}
