namespace RwxGuard.Tests.Infrastructure.FakeKube;

/// <summary>
/// The labelSelector query parameter: equality (<c>a=b</c>, <c>a==b</c>, <c>a!=b</c>), set-based (<c>a in (x,y)</c>,
/// <c>a notin (x)</c>), existence (<c>a</c>, <c>!a</c>), comma-separated and all required.
/// </summary>
public sealed class LabelSelector
{
    private readonly List<Func<IReadOnlyDictionary<string, string>, bool>> _requirements = [];

    public static LabelSelector Parse(string? selector)
    {
        var parsed = new LabelSelector();
        if (string.IsNullOrWhiteSpace(selector)) return parsed;
        foreach (var term in SplitTerms(selector))
        {
            var t = term.Trim();
            if (t.Length == 0) continue;
            var inIndex = t.IndexOf(" in ", StringComparison.Ordinal);
            var notInIndex = t.IndexOf(" notin ", StringComparison.Ordinal);
            if (notInIndex > 0)
            {
                var key = t[..notInIndex].Trim();
                var values = Values(t[(notInIndex + 7)..]);
                parsed._requirements.Add(l => !l.TryGetValue(key, out var v) || !values.Contains(v));
            }
            else if (inIndex > 0)
            {
                var key = t[..inIndex].Trim();
                var values = Values(t[(inIndex + 4)..]);
                parsed._requirements.Add(l => l.TryGetValue(key, out var v) && values.Contains(v));
            }
            else if (t.Contains("!=", StringComparison.Ordinal))
            {
                var (key, value) = Split(t, "!=");
                parsed._requirements.Add(l => !l.TryGetValue(key, out var v) || v != value);
            }
            else if (t.Contains("==", StringComparison.Ordinal) || t.Contains('=', StringComparison.Ordinal))
            {
                var (key, value) = Split(t, t.Contains("==", StringComparison.Ordinal) ? "==" : "=");
                parsed._requirements.Add(l => l.TryGetValue(key, out var v) && v == value);
            }
            else if (t.StartsWith('!'))
            {
                var key = t[1..].Trim();
                parsed._requirements.Add(l => !l.ContainsKey(key));
            }
            else
            {
                parsed._requirements.Add(l => l.ContainsKey(t));
            }
        }
        return parsed;
    }

    public bool Matches(IReadOnlyDictionary<string, string> labels) => _requirements.All(r => r(labels));

    private static (string, string) Split(string term, string op)
    {
        var i = term.IndexOf(op, StringComparison.Ordinal);
        return (term[..i].Trim(), term[(i + op.Length)..].Trim());
    }

    private static HashSet<string> Values(string list) =>
        [.. list.Trim().TrimStart('(').TrimEnd(')').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];

    /// <summary>Commas inside "in (a,b)" do not separate terms.</summary>
    private static IEnumerable<string> SplitTerms(string selector)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < selector.Length; i++)
        {
            if (selector[i] == '(') depth++;
            else if (selector[i] == ')') depth--;
            else if (selector[i] == ',' && depth == 0)
            {
                yield return selector[start..i];
                start = i + 1;
            }
        }
        yield return selector[start..];
    }
}
