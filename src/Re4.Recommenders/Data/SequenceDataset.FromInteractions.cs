using System.Globalization;

namespace Re4.Recommenders.Data;

// Building a data set from records in memory (a database query, an ML.NET pipeline, a message stream) without a file.
public sealed partial class SequenceDataset
{
    /// <summary>The name of a data set built from records when none is given.</summary>
    public const string InMemoryName = "in-memory";

    /// <summary>
    /// Builds a data set from interaction records in memory, exactly as <see cref="InteractionFileReader"/> builds one
    /// from a log file (the same code): users and items numbered by first appearance, each user's interactions sorted
    /// stably by timestamp (ties keep record order). So the same interactions give the same data set, and the same
    /// training results, whether they come from a file or from here.
    /// </summary>
    /// <typeparam name="TRecord">The record type.</typeparam>
    /// <typeparam name="TUser">The user id type: an integer type (a numeric id), a <see cref="string"/> (a number's
    /// decimal text is that number; any other text is a text id), or any other type, read by its invariant
    /// <c>ToString</c> (a <see cref="Guid"/>, say).</typeparam>
    /// <typeparam name="TItem">The item id type, as <typeparamref name="TUser"/>.</typeparam>
    /// <param name="records">The interactions, in any order; enumerated once.</param>
    /// <param name="user">Selects a record's user id.</param>
    /// <param name="item">Selects a record's item id.</param>
    /// <param name="timestamp">Selects a record's time, in any integer unit (for a <see cref="DateTimeOffset"/>, its
    /// <c>ToUnixTimeSeconds()</c> or <c>UtcTicks</c>); only its order matters.</param>
    /// <param name="name">A name for reports; default <see cref="InMemoryName"/>.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">A record is null or has a null, empty or unreadable id (the message gives the
    /// record's position), or there are no records.</exception>
    public static SequenceDataset FromInteractions<TRecord, TUser, TItem>(
        IEnumerable<TRecord> records, Func<TRecord, TUser> user, Func<TRecord, TItem> item, Func<TRecord, long> timestamp, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(timestamp);
        using var table = new InteractionTableBuilder();
        foreach (var record in records) Add(table, record, user, item, timestamp);
        return Finish(table, name);
    }

    /// <summary>As <see cref="FromInteractions{TRecord, TUser, TItem}"/>, from records that arrive asynchronously (an
    /// EF Core <c>AsAsyncEnumerable()</c>, a channel, a paged API).</summary>
    /// <param name="records">The interactions, in any order; enumerated once.</param>
    /// <param name="user">Selects a record's user id.</param>
    /// <param name="item">Selects a record's item id.</param>
    /// <param name="timestamp">Selects a record's time; only its order matters.</param>
    /// <param name="name">A name for reports; default <see cref="InMemoryName"/>.</param>
    /// <param name="cancellationToken">Stops reading: passed to the enumerator and checked between records.</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ArgumentException">A record is null or has a null, empty or unreadable id, or there are no records.</exception>
    public static async Task<SequenceDataset> FromInteractionsAsync<TRecord, TUser, TItem>(
        IAsyncEnumerable<TRecord> records, Func<TRecord, TUser> user, Func<TRecord, TItem> item, Func<TRecord, long> timestamp,
        string? name = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(timestamp);
        cancellationToken.ThrowIfCancellationRequested();
        using var table = new InteractionTableBuilder();
        await foreach (var record in records.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            cancellationToken.ThrowIfCancellationRequested();
            Add(table, record, user, item, timestamp);
        }

        return Finish(table, name);
    }

    private static void Add<TRecord, TUser, TItem>(InteractionTableBuilder table, TRecord record, Func<TRecord, TUser> user, Func<TRecord, TItem> item, Func<TRecord, long> timestamp)
    {
        var position = table.Count;
        if (record is null) throw new ArgumentException($"Record {position} is null.", "records");
        var u = Intern(table.Users, user(record), position, "user");
        var i = Intern(table.Items, item(record), position, "item");
        table.Add(u, i, timestamp(record));
    }

    private static int Intern<TId>(IdColumnBuilder ids, TId id, long position, string role)
    {
        // typeof tests on a type parameter are constants to the JIT: the numeric cases cost no boxing.
        if (typeof(TId) == typeof(long)) return ids.Intern((long)(object)id!);
        if (typeof(TId) == typeof(int)) return ids.Intern((int)(object)id!);
        if (typeof(TId) == typeof(uint)) return ids.Intern((uint)(object)id!);
        if (typeof(TId) == typeof(short)) return ids.Intern((short)(object)id!);
        if (typeof(TId) == typeof(ushort)) return ids.Intern((ushort)(object)id!);
        if (typeof(TId) == typeof(byte)) return ids.Intern((byte)(object)id!);
        if (id is null) throw new ArgumentException($"Record {position} has a null {role} id.", "records");
        var text = id switch
        {
            string s => s,
            ulong n when n <= long.MaxValue => null,
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => id.ToString(),
        };
        if (text is null) return ids.Intern((long)(ulong)(object)id);
        if (OriginalIdText.Problem(text) is { } problem)
            throw new ArgumentException($"Record {position} has an unusable {role} id '{Escape(text)}': {problem}.", "records");
        return ids.Intern(text);
    }

    private static SequenceDataset Finish(InteractionTableBuilder table, string? name)
    {
        if (table.Count == 0) throw new ArgumentException("The records hold no interactions: expected at least one.", "records");
        if (table.Count > int.MaxValue)
            throw new ArgumentException($"At most {int.MaxValue} interactions are supported; the records hold {table.Count}.", "records");
        return table.Build(name ?? InMemoryName);
    }

    private static string Escape(string text)
    {
        var shown = text.Length > 64 ? text[..64] + "..." : text;
        var b = new System.Text.StringBuilder(shown.Length);
        foreach (var c in shown)
        {
            if (char.IsControl(c)) b.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            else b.Append(c);
        }

        return b.ToString();
    }
}
