using RwxGuard.Domain;
namespace RwxGuard.Policies;

/// <summary>Message formatting shared by the policies.</summary>
public static class Text
{
    /// <summary>kubectl prints each warning on one line; the API server truncates long ones. Keep each under this.</summary>
    public const int MaxWarningLength = 120;

    public const string WarningPrefix = "rwx-guard: ";

    public const string RwxClasses = "EFS, Azure Files, Filestore, CephFS or NFS";

    /// <summary>Prefixes and cuts a warning to <see cref="MaxWarningLength"/> characters.</summary>
    public static string Warning(string text) => Cut(WarningPrefix + text, MaxWarningLength);

    /// <summary>The first warning text that fits whole under <see cref="MaxWarningLength"/> (prefix included), else the last.</summary>
    public static string FirstThatFits(params string[] candidates) =>
        candidates.FirstOrDefault(c => WarningPrefix.Length + c.Length <= MaxWarningLength) ?? candidates[^1];

    /// <summary>The text, or its first <paramref name="max"/> - 1 characters and "…".</summary>
    public static string Cut(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max - 1), "…");

    public static string Claims(IEnumerable<ClaimInfo> claims) =>
        string.Join(", ", claims.Select(c => $"{c.Name} ({AccessModeSet.Format(c.EffectiveModes)})"));

    public static string ShortClaims(IReadOnlyList<ClaimInfo> claims) =>
        claims.Count == 1
            ? $"claim {claims[0].Name} ({AccessModeSet.Short(claims[0].EffectiveModes)})"
            : $"claims {string.Join(", ", claims.Select(c => $"{c.Name} ({AccessModeSet.Short(c.EffectiveModes)})"))}";

    public static string Plural(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    /// <summary>"a", "a and b", "a, b and c".</summary>
    public static string Join(IEnumerable<string> items)
    {
        var list = items.ToList();
        return list.Count <= 1 ? string.Concat(list) : $"{string.Join(", ", list.Take(list.Count - 1))} and {list[^1]}";
    }
}
