namespace Re4.Recommenders.Models;

/// <summary>Writes a folder atomically: into a temporary sibling, then swapped in with renames.</summary>
internal static class AtomicDirectoryWriter
{
    public static void Write(string directory, Action<string> write)
    {
        var full = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        var tag = Guid.NewGuid().ToString("N")[..8];
        var temp = Path.Combine(parent, $".{Path.GetFileName(full)}.tmp-{tag}");
        var old = Path.Combine(parent, $".{Path.GetFileName(full)}.old-{tag}");
        Directory.CreateDirectory(temp);
        try
        {
            write(temp);
            if (Directory.Exists(full)) Directory.Move(full, old);
            Directory.Move(temp, full);
            if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            if (!Directory.Exists(full) && Directory.Exists(old)) Directory.Move(old, full);
            throw;
        }
    }
}
