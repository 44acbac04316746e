using System.Text;

namespace RwxGuard.Tests.Audit;

/// <summary>A temporary directory for manifest files, deleted at dispose.</summary>
public sealed class ManifestDirectory : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("rwx-guard-audit-");

    public string FullName => _dir.FullName;

    public string PathOf(string relative) => Path.Combine(_dir.FullName, relative);

    /// <summary>Writes a file (UTF-8 without BOM unless told otherwise), creating its directories; returns its path.</summary>
    public string Write(string relative, string text, Encoding? encoding = null)
    {
        var path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text, encoding ?? new UTF8Encoding(false));
        return path;
    }

    public void Dispose() => _dir.Delete(recursive: true);
}
