using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace RwxGuard.Tests.Migrate;

/// <summary>One entry of a directory tree as GNU find sees it, plus the SHA-256 of regular files.</summary>
public sealed record TreeEntry(string Path, char Type, string Mode, string Uid, string Gid, long Size, long MtimeSeconds, string LinkTarget, string? Sha256, string LinkGroup);

/// <summary>
/// An independent reading of a tree (GNU find and .NET, not the script's BusyBox tools), to compare a copy with its
/// source: type, mode, owner, size, mtime, symlink target, content and which files are hard links of each other.
/// </summary>
public static class TreeSnapshot
{
    public static IReadOnlyList<TreeEntry> Of(string root)
    {
        var start = new ProcessStartInfo("find") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { root, "-mindepth", "1", "-printf", @"%y\0%m\0%U\0%G\0%s\0%T@\0%i\0%n\0%l\0%P\0" }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var fields = process.StandardOutput.ReadToEnd().Split('\0');
        process.WaitForExit();
        var entries = new List<TreeEntry>();
        var groups = new Dictionary<string, string>();
        for (var i = 0; i + 9 < fields.Length; i += 10)
        {
            var (type, mode, uid, gid, size, mtime, inode, links, target, path) =
                (fields[i][0], fields[i + 1], fields[i + 2], fields[i + 3], long.Parse(fields[i + 4]), fields[i + 5], fields[i + 6], fields[i + 7], fields[i + 8], fields[i + 9]);
            string? sha = null;
            if (type == 'f') sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(root, path))));
            // Hard links: name the group after its first path in sorted order, so two trees can be compared.
            var group = type == 'f' && links != "1" ? inode : "";
            entries.Add(new TreeEntry(path, type, mode, uid, gid, type == 'd' ? 0 : size, (long)double.Parse(mtime, System.Globalization.CultureInfo.InvariantCulture), target, sha, group));
        }
        entries.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        foreach (var e in entries.Where(e => e.LinkGroup.Length > 0)) groups.TryAdd(e.LinkGroup, e.Path);
        return [.. entries.Select(e => e.LinkGroup.Length > 0 ? e with { LinkGroup = groups[e.LinkGroup] } : e)];
    }

    public static string Describe(IEnumerable<TreeEntry> entries)
    {
        var text = new StringBuilder();
        foreach (var e in entries) text.AppendLine($"{e.Type} {e.Mode} {e.Uid}:{e.Gid} {e.Size} {e.MtimeSeconds} {e.LinkTarget} {e.Sha256?[..12]} [{e.LinkGroup}] {e.Path.Replace("\n", "\\n")}");
        return text.ToString();
    }
}
