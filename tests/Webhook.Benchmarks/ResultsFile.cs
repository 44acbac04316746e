using System.Text;
using System.Text.RegularExpressions;

namespace RwxGuard.Benchmarks;

/// <summary>
/// results.md as named sections (<c>&lt;!-- begin NAME --&gt;</c> … <c>&lt;!-- end NAME --&gt;</c>): a run replaces the
/// sections it measured and leaves the others, so a quick run of one configuration updates only that configuration.
/// Every section says when and on what it was measured.
/// </summary>
public static partial class ResultsFile
{
    /// <summary>Marks a table row that the sizing summary collects from every section.</summary>
    public const string SizingRowMarker = "<!-- sizing-row -->";

    public static string Read(string path) => File.Exists(path) ? File.ReadAllText(path) : "";

    /// <summary>The text with section <paramref name="name"/> replaced by <paramref name="body"/> (appended if absent).</summary>
    public static string WithSection(string text, string name, string body)
    {
        var block = $"<!-- begin {name} -->\n{body.TrimEnd()}\n<!-- end {name} -->\n";
        var pattern = new Regex($@"<!-- begin {Regex.Escape(name)} -->\n.*?<!-- end {Regex.Escape(name)} -->\n?", RegexOptions.Singleline);
        if (pattern.IsMatch(text)) return pattern.Replace(text, block.Replace("$", "$$", StringComparison.Ordinal), 1);
        return (text.Length == 0 || text.EndsWith("\n\n", StringComparison.Ordinal) ? text : text.TrimEnd() + "\n\n") + block;
    }

    /// <summary>Every line marked with <see cref="SizingRowMarker"/>, in order, without duplicates.</summary>
    public static IReadOnlyList<string> SizingRows(string text) =>
        [.. text.Split('\n').Where(l => l.TrimEnd().EndsWith(SizingRowMarker, StringComparison.Ordinal))
            .Select(l => l.TrimEnd()[..^SizingRowMarker.Length].TrimEnd()).Distinct()];

    public static string Names(string text) =>
        string.Join(", ", SectionPattern().Matches(text).Select(m => m.Groups[1].Value));

    [GeneratedRegex("<!-- begin (.+?) -->")]
    private static partial Regex SectionPattern();

    /// <summary>Header and rows of the sizing table.</summary>
    public static string SizingTable(IEnumerable<string> rows)
    {
        var table = new StringBuilder();
        table.AppendLine("| objects in the view | configuration | peak RSS MiB | steady RSS MiB | memory request (steady + 20%) | memory limit (peak + 20%) |");
        table.AppendLine("|---:|---|---:|---:|---:|---:|");
        foreach (var row in rows) table.AppendLine(row);
        return table.ToString();
    }
}
