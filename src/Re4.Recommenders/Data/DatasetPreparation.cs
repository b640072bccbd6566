using Microsoft.Extensions.Logging;

namespace Re4.Recommenders.Data;

/// <summary>Filtering and id renumbering, as ComiRec's preprocessing does them.</summary>
public static class DatasetPreparation
{
    /// <summary>Applies <paramref name="filter"/>, then renumbers items 1..N by decreasing frequency (ties keep the
    /// earlier id, i.e. first appearance in the file), so that id order is popularity order as ComiRec's log-uniform
    /// sampler expects. Users keep their relative order; the maps to original ids are carried over.</summary>
    /// <exception cref="InvalidOperationException">Nothing survives the filter.</exception>
    public static SequenceDataset Prepare(SequenceDataset dataset, DatasetFilter filter, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(filter);
        var keepItem = new bool[dataset.ItemCount + 1];
        var keepUser = new bool[dataset.UserCount];
        Array.Fill(keepItem, true);
        keepItem[0] = false;
        Array.Fill(keepUser, true);

        switch (filter.Kind)
        {
            case DatasetFilterKind.None:
                break;
            case DatasetFilterKind.ComiRec:
                DropRareItems(dataset, keepItem, keepUser, filter.MinItemInteractions);
                DropShortUsers(dataset, keepItem, keepUser, filter.MinUserInteractions);
                break;
            case DatasetFilterKind.KCore:
                var rounds = 0;
                while (true)
                {
                    rounds++;
                    var changed = DropRareItems(dataset, keepItem, keepUser, filter.MinItemInteractions);
                    changed |= DropShortUsers(dataset, keepItem, keepUser, filter.MinUserInteractions);
                    if (!changed) break;
                }

                logger?.LogDebug("k-core converged after {Rounds} rounds", rounds);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(filter), filter.Kind, "Unknown filter kind.");
        }

        var result = Compact(dataset, keepItem, keepUser);
        if (result.InteractionCount == 0)
            throw new InvalidOperationException($"No interaction of '{dataset.Name}' survives the filter '{filter}'.");
        logger?.LogInformation("Filter {Filter}: {Users} users, {Items} items, {Interactions} interactions remain (of {U0}, {I0}, {N0})",
            filter, result.UserCount, result.ItemCount, result.InteractionCount, dataset.UserCount, dataset.ItemCount, dataset.InteractionCount);
        return result;
    }

    private static bool DropRareItems(SequenceDataset d, bool[] keepItem, bool[] keepUser, int min)
    {
        var counts = new int[d.ItemCount + 1];
        for (var u = 0; u < d.UserCount; u++)
        {
            if (!keepUser[u]) continue;
            foreach (var item in d.Sequence(u)) counts[item]++;
        }

        var changed = false;
        for (var i = 1; i < counts.Length; i++)
        {
            if (keepItem[i] && counts[i] < min)
            {
                keepItem[i] = false;
                changed = true;
            }
        }

        return changed;
    }

    private static bool DropShortUsers(SequenceDataset d, bool[] keepItem, bool[] keepUser, int min)
    {
        var changed = false;
        for (var u = 0; u < d.UserCount; u++)
        {
            if (!keepUser[u]) continue;
            var n = 0;
            foreach (var item in d.Sequence(u))
            {
                if (keepItem[item]) n++;
            }

            if (n < min)
            {
                keepUser[u] = false;
                changed = true;
            }
        }

        return changed;
    }

    private static SequenceDataset Compact(SequenceDataset d, bool[] keepItem, bool[] keepUser)
    {
        var counts = new long[d.ItemCount + 1];
        var userCount = 0;
        long total = 0;
        for (var u = 0; u < d.UserCount; u++)
        {
            if (!keepUser[u]) continue;
            var n = 0;
            foreach (var item in d.Sequence(u))
            {
                if (!keepItem[item]) continue;
                counts[item]++;
                n++;
            }

            if (n == 0) continue;
            userCount++;
            total += n;
        }

        // Decreasing frequency; ties by the old id (stable).
        var order = Enumerable.Range(1, d.ItemCount).Where(i => counts[i] > 0).ToArray();
        Array.Sort(order, (a, b) => counts[a] != counts[b] ? counts[b].CompareTo(counts[a]) : a.CompareTo(b));
        var newId = new int[d.ItemCount + 1];
        for (var r = 0; r < order.Length; r++) newId[order[r]] = r + 1;
        var itemIds = d.ItemIds.Pick(order, firstIndex: 1);

        var offsets = new int[userCount + 1];
        var items = new int[total];
        var keptUsers = new int[userCount];
        var w = 0;
        var nu = 0;
        for (var u = 0; u < d.UserCount; u++)
        {
            if (!keepUser[u]) continue;
            var start = w;
            foreach (var item in d.Sequence(u))
            {
                if (newId[item] != 0) items[w++] = newId[item];
            }

            if (w == start) continue;
            keptUsers[nu] = u;
            offsets[++nu] = w;
        }

        return new SequenceDataset(d.Name, offsets, items, d.UserIds.Pick(keptUsers, firstIndex: 0), itemIds);
    }
}
