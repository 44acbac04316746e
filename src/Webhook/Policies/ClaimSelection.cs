using RwxGuard.Domain;

namespace RwxGuard.Policies;

/// <summary>Which claims the mutator changes: <see cref="MutationOptions.Selectors"/> against a claim and the cluster view.</summary>
public static class ClaimSelection
{
    /// <summary>
    /// The first selector the claim matches, described for messages ("label app.kubernetes.io/name=anythingllm",
    /// "Deployment ai/anythingllm running anythingllm, which mounts it"), or null when it matches none.
    /// </summary>
    public static string? Match(ClaimInfo claim, IReadOnlyList<ClaimSelectorOptions> selectors, IClusterView view)
    {
        foreach (var selector in selectors)
        {
            if (Matches(claim, selector, view, out var mountedBy)) return Describe(selector, mountedBy);
        }
        return null;
    }

    /// <param name="mountedBy">With <see cref="ClaimSelectorOptions.MountedByImages"/>: the workload that matched and its image.</param>
    public static bool Matches(ClaimInfo claim, ClaimSelectorOptions selector, IClusterView view, out string? mountedBy)
    {
        mountedBy = null;
        var labels = selector.Labels is { Count: > 0 } ? selector.Labels : null;
        var names = selector.Names is { Count: > 0 } ? selector.Names : null;
        var namespaces = selector.Namespaces is { Count: > 0 } ? selector.Namespaces : null;
        var images = selector.MountedByImages is { Count: > 0 } ? selector.MountedByImages : null;
        // A selector with no condition would select every claim in the cluster: the validator rejects it, and it
        // matches nothing here.
        if (labels is null && names is null && namespaces is null && images is null) return false;

        if (labels is not null)
        {
            foreach (var (key, pattern) in labels)
            {
                if (!claim.Labels.TryGetValue(key, out var value) || !Glob.Matches(pattern, value)) return false;
            }
        }
        if (names is not null && !names.Any(p => Glob.Matches(p, claim.Name))) return false;
        if (namespaces is not null && !namespaces.Any(p => Glob.Matches(p, claim.Namespace))) return false;
        // Last: the only condition that reads the view, and only for claims every other condition selected.
        if (images is not null && (mountedBy = MountedBy(claim, images, view)) is null) return false;
        return true;
    }

    /// <summary>
    /// "Deployment ai/anythingllm running anythingllm, which mounts it": the first workload in the view that mounts the claim and runs an
    /// image whose name (<see cref="ImageReference.Name"/>: no registry, tag or digest) matches a pattern.
    /// </summary>
    private static string? MountedBy(ClaimInfo claim, IReadOnlyList<string> images, IClusterView view)
    {
        foreach (var workload in view.WorkloadsMountingClaim(claim.Namespace, claim.Name))
        {
            foreach (var image in workload.Template.Images)
            {
                var name = ImageReference.Parse(image).Name;
                if (images.Any(p => Glob.Matches(p, name))) return $"{workload} running {name}, which mounts it";
            }
        }
        return null;
    }

    private static string Describe(ClaimSelectorOptions selector, string? mountedBy)
    {
        var parts = new List<string>(4);
        if (selector.Labels is { Count: > 0 } labels)
            parts.Add(string.Join(" and ", labels.Select(l => $"label {l.Key}={l.Value}")));
        if (selector.Names is { Count: > 0 } names) parts.Add($"name {string.Join(" or ", names)}");
        if (selector.Namespaces is { Count: > 0 } namespaces) parts.Add($"namespace {string.Join(" or ", namespaces)}");
        if (mountedBy is not null) parts.Add(mountedBy);
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
