namespace Re4.Recommenders.Models;

/// <summary>
/// Writes a checkpoint folder so that a crash at any instant leaves either the old folder or the new one, complete:
/// the files go into a temporary sibling <c>.NAME.tmp-TAG</c>, each is flushed to disk, a <see cref="FolderManifest"/>
/// is written last, then the old folder is renamed aside to <c>.NAME.old</c>, the new one renamed in, and the old one
/// deleted, the parent folder flushed after each rename. <see cref="Recover"/> (run before every save and on resume)
/// and <see cref="Readable"/> (for read-only loads) handle what a crash leaves: a crash between the two renames leaves
/// only <c>.NAME.old</c>, which is the complete previous folder.
/// </summary>
internal static class AtomicDirectoryWriter
{
    /// <summary>The test seam: told of every step of the saves of this asynchronous flow (null in production).</summary>
    internal static readonly AsyncLocal<IFileSystemSteps?> Steps = new();

    /// <summary>Writes <paramref name="directory"/>: <paramref name="write"/> fills the temporary folder it is given.</summary>
    public static void Write(string directory, Action<string> write)
    {
        var full = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        Recover(full);
        Reached(SaveStep.Recovered, full);
        var temp = Path.Combine(parent, $".{Path.GetFileName(full)}.tmp-{Guid.NewGuid().ToString("N")[..8]}");
        var old = OldPath(full);
        try
        {
            Directory.CreateDirectory(temp);
            Reached(SaveStep.TempCreated, temp);
            write(temp);
            Reached(SaveStep.FilesWritten, temp);
            foreach (var file in Directory.GetFiles(temp).Order(StringComparer.Ordinal))
            {
                FileSync.File(file);
                Reached(SaveStep.FileSynced, file);
            }

            FolderManifest.Write(temp);
            Reached(SaveStep.ManifestWritten, Path.Combine(temp, FolderManifest.FileName));
            FileSync.Directory(temp);
            Reached(SaveStep.TempSynced, temp);
            if (Directory.Exists(full))
            {
                Directory.Move(full, old);
                FileSync.Directory(parent);
                Reached(SaveStep.OldMovedAside, old);
            }

            Directory.Move(temp, full);
            FileSync.Directory(parent);
            Reached(SaveStep.NewMovedIn, full);
            if (Directory.Exists(old))
            {
                Directory.Delete(old, recursive: true);
                FileSync.Directory(parent);
                Reached(SaveStep.OldDeleted, old);
            }
        }
        catch (Exception e) when (e is not SimulatedCrashException)
        {
            // An ordinary failure (a full disk, a writer's exception): put things back as recovery after a crash would.
            Recover(full);
            throw;
        }
    }

    /// <summary>Repairs what an interrupted save of <paramref name="directory"/> left: when the folder is missing, its
    /// previous version <c>.NAME.old</c> is renamed back (a crash between the two renames); otherwise old versions are
    /// deleted; temporary folders are always deleted (the save they belong to never completed).</summary>
    public static void Recover(string directory)
    {
        var full = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        var parent = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(parent)) return;
        var name = Path.GetFileName(full);
        var changed = false;
        // .NAME.old, and .NAME.old-TAG left by versions before 0.2.
        var olds = Directory.GetDirectories(parent, $".{name}.old*").OrderByDescending(Directory.GetLastWriteTimeUtc).ToList();
        if (!Directory.Exists(full) && olds.Count > 0)
        {
            Directory.Move(olds[0], full);
            olds.RemoveAt(0);
            changed = true;
        }

        foreach (var leftover in olds.Concat(Directory.GetDirectories(parent, $".{name}.tmp-*")))
        {
            Directory.Delete(leftover, recursive: true);
            changed = true;
        }

        if (changed) FileSync.Directory(parent);
    }

    /// <summary>Where the latest complete version of <paramref name="directory"/> is, without changing anything on disk
    /// (for loads, which may be read-only): the folder itself, or its <c>.NAME.old</c> when a crash left only that.</summary>
    public static string Readable(string directory)
    {
        if (Directory.Exists(directory)) return directory;
        var full = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        var old = OldPath(full);
        return Directory.Exists(old) ? old : directory;
    }

    private static string OldPath(string full) => Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.old");

    private static void Reached(SaveStep step, string path) => Steps.Value?.Reached(step, path);
}
