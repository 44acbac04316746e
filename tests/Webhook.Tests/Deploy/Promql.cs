using System.Text;

namespace RwxGuard.Tests.Deploy;

/// <summary>
/// What a PromQL expression reads: its series selectors (metric name and label matchers) and the labels it groups or
/// matches on (by, without, on, ignoring, group_left, group_right). A scanner, not a parser: it finds names to check
/// against what the server exports; syntax is promtool's job. Grafana variables ($var, ${var}, $__rate_interval) are
/// accepted wherever PromQL takes a value or a range.
/// </summary>
public static class Promql
{
    public sealed record Matcher(string Label, string Op, string Value);

    public sealed record Selector(string Metric, IReadOnlyList<Matcher> Matchers)
    {
        public override string ToString() => $"{Metric}{{{string.Join(", ", Matchers.Select(m => $"{m.Label}{m.Op}\"{m.Value}\""))}}}";
    }

    public sealed record Reading(IReadOnlyList<Selector> Selectors, IReadOnlyList<string> Labels);

    private static readonly HashSet<string> GroupingKeywords = ["by", "without", "on", "ignoring", "group_left", "group_right"];
    private static readonly HashSet<string> Keywords = ["offset", "bool", "and", "or", "unless", "atan2", "start", "end"];
    private static readonly HashSet<string> Aggregations =
        ["sum", "avg", "min", "max", "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values", "group", "limitk", "limit_ratio"];

    private enum Kind { Identifier, String, Number, Variable, Punct }

    private sealed record Token(Kind Kind, string Text);

    public static Reading Read(string expression)
    {
        var tokens = Tokenize(expression);
        var selectors = new List<Selector>();
        var labels = new List<string>();
        for (var i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            if (t is { Kind: Kind.Punct, Text: "[" })
            {
                i = Skip(tokens, i, "[", "]"); // ranges, subqueries, $__rate_interval
                continue;
            }
            if (t is { Kind: Kind.Punct, Text: "{" })
            {
                // A selector without a metric name in front: {__name__="…", …}
                var (end, matchers) = Matchers(tokens, i, expression);
                i = end;
                var name = matchers.FirstOrDefault(m => m.Label == "__name__" && m.Op == "=")?.Value
                           ?? throw new FormatException($"a selector with no metric name in: {expression}");
                selectors.Add(new Selector(name, matchers.Where(m => m.Label != "__name__").ToList()));
                continue;
            }
            if (t.Kind != Kind.Identifier) continue;

            var next = i + 1 < tokens.Count ? tokens[i + 1] : null;
            if (GroupingKeywords.Contains(t.Text))
            {
                if (next is { Kind: Kind.Punct, Text: "(" })
                {
                    var end = Skip(tokens, i + 1, "(", ")");
                    labels.AddRange(tokens.Skip(i + 2).Take(end - i - 2).Where(x => x.Kind == Kind.Identifier).Select(x => x.Text));
                    i = end;
                }
                continue;
            }
            if (Keywords.Contains(t.Text) || Aggregations.Contains(t.Text)) continue;
            if (next is { Kind: Kind.Punct, Text: "(" }) continue; // a function call

            if (next is { Kind: Kind.Punct, Text: "{" })
            {
                var (end, matchers) = Matchers(tokens, i + 1, expression);
                selectors.Add(new Selector(t.Text, matchers));
                i = end;
            }
            else
            {
                selectors.Add(new Selector(t.Text, []));
            }
        }
        return new Reading(selectors, labels.Distinct().ToList());
    }

    /// <summary>The index of the bracket closing the one at <paramref name="start"/>.</summary>
    private static int Skip(List<Token> tokens, int start, string open, string close)
    {
        var depth = 0;
        for (var i = start; i < tokens.Count; i++)
        {
            if (tokens[i].Kind != Kind.Punct) continue;
            if (tokens[i].Text == open) depth++;
            else if (tokens[i].Text == close && --depth == 0) return i;
        }
        throw new FormatException($"unbalanced {open}{close}");
    }

    private static (int End, List<Matcher> Matchers) Matchers(List<Token> tokens, int open, string expression)
    {
        var end = Skip(tokens, open, "{", "}");
        var matchers = new List<Matcher>();
        var i = open + 1;
        while (i < end)
        {
            if (tokens[i] is { Kind: Kind.Punct, Text: "," }) { i++; continue; }
            if (i + 2 >= end || tokens[i].Kind != Kind.Identifier || tokens[i + 1].Kind != Kind.Punct
                || tokens[i + 2].Kind is not (Kind.String or Kind.Variable))
                throw new FormatException($"cannot read the label matchers in: {expression}");
            matchers.Add(new Matcher(tokens[i].Text, tokens[i + 1].Text, tokens[i + 2].Text));
            i += 3;
        }
        return (end, matchers);
    }

    private static List<Token> Tokenize(string s)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c == '#')
            {
                while (i < s.Length && s[i] != '\n') i++;
                continue;
            }
            if (c is '"' or '\'' or '`')
            {
                var value = new StringBuilder();
                i++;
                while (i < s.Length && s[i] != c)
                {
                    if (s[i] == '\\' && c != '`' && i + 1 < s.Length) i++;
                    value.Append(s[i++]);
                }
                if (i >= s.Length) throw new FormatException($"unterminated string in: {s}");
                i++;
                tokens.Add(new Token(Kind.String, value.ToString()));
                continue;
            }
            if (c == '$')
            {
                var start = i++;
                if (i < s.Length && s[i] == '{')
                {
                    while (i < s.Length && s[i] != '}') i++;
                    i++;
                }
                else
                {
                    while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] == '_')) i++;
                }
                tokens.Add(new Token(Kind.Variable, s[start..i]));
                continue;
            }
            if (char.IsLetter(c) || c is '_' or ':')
            {
                var start = i;
                while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] is '_' or ':')) i++;
                tokens.Add(new Token(Kind.Identifier, s[start..i]));
                continue;
            }
            if (char.IsDigit(c) || (c == '.' && i + 1 < s.Length && char.IsDigit(s[i + 1])))
            {
                // Numbers and durations: 0.99, 86400, 1e-3, 5m, 1h30m.
                var start = i;
                while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] == '.'
                                        || (s[i] is '+' or '-' && s[i - 1] is 'e' or 'E' && char.IsDigit(s[start])))) i++;
                tokens.Add(new Token(Kind.Number, s[start..i]));
                continue;
            }
            var two = i + 1 < s.Length ? s.Substring(i, 2) : "";
            if (two is "==" or "!=" or "=~" or "!~" or ">=" or "<=")
            {
                tokens.Add(new Token(Kind.Punct, two));
                i += 2;
                continue;
            }
            tokens.Add(new Token(Kind.Punct, c.ToString()));
            i++;
        }
        return tokens;
    }
}
