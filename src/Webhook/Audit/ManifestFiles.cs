using System.Text;
using RwxGuard.Platform;

namespace RwxGuard.Audit;

/// <summary>
/// Where manifest text comes from: the files under a directory, and the bounded reading of a file or of stdin.
/// <para>A directory is walked without following symbolic links to directories (as <c>kubectl apply -R</c> does),
/// so a link cannot make the walk loop or leave the tree; a directory reached twice (a bind mount over itself) is an
/// error. A link to a regular file inside the directory is read (once, however many links reach it); a link that
/// points outside the directory, that loops, or that leads to a directory enclosing it is an error, as is a FIFO,
/// socket or device with a manifest's name: reading one would block or never end. A path given on the command line
/// is read wherever it points, and may be a pipe (<c>-f &lt;(helm template …)</c>).</para>
/// </summary>
internal static class ManifestFiles
{
    private static readonly string[] Extensions = [".yaml", ".yml", ".json"];

    public static bool HasManifestExtension(string path) =>
        Extensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase);

    /// <summary>The manifest files under <paramref name="directory"/>, in ordinal order of their paths, each real file
    /// once (under the shortest path that reaches it). Problems go to <paramref name="errors"/>.</summary>
    public static List<string> InDirectory(string directory, List<ManifestDiagnostic> errors)
    {
        var errorsBefore = errors.Count;
        var root = UnixFiles.RealPath(directory);
        var files = new Dictionary<string, string>(StringComparer.Ordinal); // real path -> path shown
        var visited = new HashSet<(ulong, ulong)>();
        var pending = new Stack<(string Path, string Real)>();
        pending.Push((directory, root));
        while (pending.TryPop(out var dir))
        {
            var status = UnixFiles.Status(dir.Path, followLinks: false);
            if (status.Inode != 0 && !visited.Add((status.Device, status.Inode)))
            {
                errors.Add(ManifestDiagnostic.About(dir.Path, "directory reached twice (a mount over itself?): not read again"));
                continue;
            }
            List<string> entries;
            try
            {
                entries = [.. Directory.EnumerateFileSystemEntries(dir.Path).Order(StringComparer.Ordinal)];
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.Add(ManifestDiagnostic.About(dir.Path, $"cannot read: {e.Message}"));
                continue;
            }
            foreach (var entry in entries)
            {
                var real = dir.Real.TrimEnd('/') + "/" + Path.GetFileName(entry);
                try
                {
                    var type = UnixFiles.Status(entry, followLinks: false).Type;
                    if (type == UnixFileType.Directory) pending.Push((entry, real));
                    else if (type == UnixFileType.SymbolicLink) Link(entry, dir.Real, root, files, errors);
                    else if (HasManifestExtension(entry)) Add(entry, real, type, files, errors);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    errors.Add(ManifestDiagnostic.About(entry, $"cannot read: {e.Message}"));
                }
            }
        }
        if (files.Count == 0 && errors.Count == errorsBefore)
            errors.Add(ManifestDiagnostic.About(directory, "directory has no *.yaml, *.yml or *.json file"));
        return [.. files.Values.Order(StringComparer.Ordinal)];
    }

    private static void Link(string link, string parentReal, string root, Dictionary<string, string> files, List<ManifestDiagnostic> errors)
    {
        string target;
        try
        {
            target = UnixFiles.RealPath(link);
        }
        catch (FileNotFoundException)
        {
            // A dangling link with another name is not a manifest, like any other file with that name.
            if (HasManifestExtension(link)) errors.Add(ManifestDiagnostic.About(link, "symbolic link to a missing file"));
            return;
        }
        catch (IOException e)
        {
            errors.Add(ManifestDiagnostic.About(link, $"symbolic link cannot be resolved ({e.Message}): not followed"));
            return;
        }

        var type = UnixFiles.Status(target, followLinks: false).Type;
        if (!IsWithin(target, root))
        {
            if (type == UnixFileType.Directory || HasManifestExtension(link))
                errors.Add(ManifestDiagnostic.About(link, $"symbolic link to {target}, outside {root}: not followed " +
                                                          "(give it with its own -f to read it)"));
        }
        else if (type == UnixFileType.Directory)
        {
            // Inside the tree, the target is walked where it is; a link to a directory above it would walk forever.
            if (IsWithin(parentReal, target))
                errors.Add(ManifestDiagnostic.About(link, $"symbolic link to {target}, a directory that contains it (a loop): not followed"));
        }
        else if (HasManifestExtension(link))
        {
            Add(link, target, type, files, errors);
        }
    }

    private static void Add(string path, string real, UnixFileType type, Dictionary<string, string> files, List<ManifestDiagnostic> errors)
    {
        if (type != UnixFileType.Regular)
        {
            errors.Add(ManifestDiagnostic.About(path, $"not a regular file ({Describe(type)}): not read"));
            return;
        }
        if (!files.TryGetValue(real, out var shown) || path.Length < shown.Length ||
            (path.Length == shown.Length && string.CompareOrdinal(path, shown) < 0))
            files[real] = path;
    }

    private static bool IsWithin(string path, string directory) =>
        path == directory || path.StartsWith(directory.TrimEnd('/') + "/", StringComparison.Ordinal);

    private static string Describe(UnixFileType type) => type switch
    {
        UnixFileType.Fifo => "a FIFO",
        UnixFileType.CharacterDevice => "a character device",
        UnixFileType.BlockDevice => "a block device",
        UnixFileType.Socket => "a socket",
        _ => "not a file",
    };

    /// <summary>
    /// The text of a file, or null (with an error) when it is longer than <paramref name="maxBytes"/> or cannot be read.
    /// Reads at most <paramref name="maxBytes"/> + 1 bytes whatever the file claims, so a device or a growing file ends
    /// too. The encoding follows a byte order mark (UTF-16 from PowerShell redirection), UTF-8 otherwise.
    /// </summary>
    public static async Task<(string? Text, long Bytes)> ReadFileAsync(string path, long maxBytes, Func<long, string> tooLong,
        List<ManifestDiagnostic> errors, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete, BufferSize = 0,
            });
            using var content = new MemoryStream(stream.CanSeek ? (int)Math.Min(stream.Length + 1, maxBytes + 1) : 64 * 1024);
            var buffer = new byte[64 * 1024];
            while (content.Length <= maxBytes)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, maxBytes + 1 - content.Length)),
                    cancellationToken);
                if (read == 0) break;
                content.Write(buffer, 0, read);
            }
            if (content.Length > maxBytes)
            {
                errors.Add(ManifestDiagnostic.About(path, tooLong(maxBytes)));
                return (null, content.Length);
            }
            content.Position = 0;
            using var reader = new StreamReader(content, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            return (await reader.ReadToEndAsync(cancellationToken), content.Length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            errors.Add(ManifestDiagnostic.About(path, $"cannot read: {e.Message}"));
            return (null, 0);
        }
    }

    /// <summary>The text of stdin, or null (with an error) past <paramref name="maxBytes"/> (counted as UTF-8).</summary>
    public static async Task<(string? Text, long Bytes)> ReadStdinAsync(TextReader stdin, string name, long maxBytes,
        Func<long, string> tooLong, List<ManifestDiagnostic> errors, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        var buffer = new char[16 * 1024];
        long bytes = 0;
        while (true)
        {
            var read = await stdin.ReadAsync(buffer.AsMemory(), cancellationToken);
            if (read == 0) return (text.ToString(), bytes);
            bytes += Encoding.UTF8.GetByteCount(buffer, 0, read);
            if (bytes > maxBytes)
            {
                errors.Add(ManifestDiagnostic.About(name, tooLong(maxBytes)));
                return (null, bytes);
            }
            text.Append(buffer, 0, read);
        }
    }
}
