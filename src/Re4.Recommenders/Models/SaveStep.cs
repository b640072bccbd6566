namespace Re4.Recommenders.Models;

/// <summary>The steps of an <see cref="AtomicDirectoryWriter"/> save, in order, as an <see cref="IFileSystemSteps"/> sees
/// them: a crash after any of them leaves a folder that loading or resuming recovers (the old or the new one).</summary>
internal enum SaveStep
{
    /// <summary>Leftovers of an earlier interrupted save were recovered or removed.</summary>
    Recovered,

    /// <summary>The temporary sibling folder exists (empty).</summary>
    TempCreated,

    /// <summary>The caller wrote its files into the temporary folder.</summary>
    FilesWritten,

    /// <summary>One file of the temporary folder was flushed to disk.</summary>
    FileSynced,

    /// <summary>The manifest (every file's size and hash) was written and flushed.</summary>
    ManifestWritten,

    /// <summary>The temporary folder's entries were flushed.</summary>
    TempSynced,

    /// <summary>The previous folder was renamed aside (to <c>.NAME.old</c>) and the parent flushed.</summary>
    OldMovedAside,

    /// <summary>The temporary folder was renamed to the target and the parent flushed.</summary>
    NewMovedIn,

    /// <summary>The previous folder was deleted and the parent flushed.</summary>
    OldDeleted,
}
