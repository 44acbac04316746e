using RwxGuard.Domain;

namespace RwxGuard.Policies;

/// <summary>Which claims the mutator changes: <see cref="MutationOptions.Selectors"/> against a claim.</summary>
public static class ClaimSelection
{
    /// <summary>
    /// The first selector the claim matches, described for messages ("label app.kubernetes.io/name=anythingllm"),
    /// or null when it matches none.
    /// </summary>
    public static string? Match(ClaimInfo claim, IReadOnlyList<ClaimSelectorOptions> selectors)
    {
        foreach (var selector in selectors)
        {
            if (Matches(claim, selector)) return Describe(selector);
        }
        return null;
    }

    public static bool Matches(ClaimInfo claim, ClaimSelectorOptions selector)
    {
        var labels = selector.Labels is { Count: > 0 } ? selector.Labels : null;
        var names = selector.Names is { Count: > 0 } ? selector.Names : null;
        var namespaces = selector.Namespaces is { Count: > 0 } ? selector.Namespaces : null;
        // A selector with no condition would select every claim in the cluster: the validator rejects it, and it
        // matches nothing here.
        if (labels is null && names is null && namespaces is null) return false;

        if (labels is not null)
        {
            foreach (var (key, pattern) in labels)
            {
                if (!claim.Labels.TryGetValue(key, out var value) || !Glob.Matches(pattern, value)) return false;
            }
        }
        if (names is not null && !names.Any(p => Glob.Matches(p, claim.Name))) return false;
        if (namespaces is not null && !namespaces.Any(p => Glob.Matches(p, claim.Namespace))) return false;
        return true;
    }

    private static string Describe(ClaimSelectorOptions selector)
    {
        var parts = new List<string>(3);
        if (selector.Labels is { Count: > 0 } labels)
            parts.Add(string.Join(" and ", labels.Select(l => $"label {l.Key}={l.Value}")));
        if (selector.Names is { Count: > 0 } names) parts.Add($"name {string.Join(" or ", names)}");
        if (selector.Namespaces is { Count: > 0 } namespaces) parts.Add($"namespace {string.Join(" or ", namespaces)}");
        return string.Join(" and ", parts);
    }
}

/// <summary>Patterns where '*' matches any run of characters (including none); everything else is literal.</summary>
public static class Glob
{
    public static bool Matches(string pattern, string text)
    {
        if (!pattern.Contains('*')) return string.Equals(pattern, text, StringComparison.Ordinal);

        // Classic two-pointer wildcard match with backtracking to the last '*': linear in practice, no regex.
        int p = 0, t = 0, star = -1, resume = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] != '*' && pattern[p] == text[t])
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++resume;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }
}
