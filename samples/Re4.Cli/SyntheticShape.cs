namespace Re4.Cli;

/// <summary>The sizes <c>re4 generate --shape</c> offers.</summary>
internal enum SyntheticShape
{
    /// <summary><see cref="Re4.Recommenders.Data.SyntheticDataOptions"/>'s defaults: the data of <c>--data synthetic</c>.</summary>
    Small,

    /// <summary><see cref="Re4.Recommenders.Data.SyntheticDataOptions.TaobaoShape"/>: 1 M users, 1.7 M items, 85 M lines.</summary>
    Taobao,
}
