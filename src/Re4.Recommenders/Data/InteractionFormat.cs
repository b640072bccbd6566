namespace Re4.Recommenders.Data;

/// <summary>The file formats the loaders read. Every format lists a user's interactions in time order
/// (per user, after a stable sort by timestamp where the format has one).</summary>
public enum InteractionFormat
{
    /// <summary>Detect the format from the first lines of the file (see <see cref="InteractionFileReader.DetectFormat(string)"/>).</summary>
    Auto = 0,

    /// <summary>One user per line: <c>user item item ...</c>, items already in time order, separated by spaces or tabs
    /// (the Amazon sequence files of the sequential-recommendation literature).</summary>
    SequencePerLine,

    /// <summary>ComiRec's interaction CSV: <c>user_id,item_id,timestamp</c>.</summary>
    ComiRecCsv,

    /// <summary>MovieLens 100K <c>u.data</c>: <c>user&lt;TAB&gt;item&lt;TAB&gt;rating&lt;TAB&gt;timestamp</c>.</summary>
    MovieLensTsv,

    /// <summary>MovieLens 1M/10M <c>ratings.dat</c>: <c>user::item::rating::timestamp</c>.</summary>
    MovieLensDat,

    /// <summary>Taobao <c>UserBehavior.csv</c>: <c>user,item,category,behavior,timestamp</c>; only the behaviours in
    /// <see cref="LoadOptions.TaobaoBehaviors"/> (default <c>pv</c>) are kept.</summary>
    TaobaoCsv,
}
