using System.Runtime.InteropServices;

namespace Re4.Recommenders.Models;

/// <summary>Flushes files and directory entries to disk, so that a renamed checkpoint folder survives a power loss with
/// its contents (a rename is durable only once the parent directory is flushed; the files only once they are).</summary>
internal static partial class FileSync
{
    private const int ReadOnly = 0;       // O_RDONLY: enough to fsync a directory, and the same value on every Unix
    private const int InvalidArgument = 22;   // EINVAL: the file system cannot flush directories (nothing to do)

    /// <summary>Flushes a file's data and metadata (fsync).</summary>
    public static void File(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Flushes a directory's entries (fsync of the directory), on Linux and macOS; Windows has no equivalent
    /// and NTFS journals renames itself.</summary>
    /// <exception cref="IOException">The directory cannot be opened or flushed.</exception>
    public static void Directory(string path)
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())) return;
        var fd = Open(path, ReadOnly);
        if (fd < 0) throw new IOException($"Cannot open the folder {path} to flush it to disk (errno {Marshal.GetLastPInvokeError()}).");
        try
        {
            if (Fsync(fd) != 0 && Marshal.GetLastPInvokeError() is var errno && errno != InvalidArgument)
                throw new IOException($"Cannot flush the folder {path} to disk (errno {errno}).");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
