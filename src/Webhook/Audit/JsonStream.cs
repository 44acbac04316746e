namespace RwxGuard.Audit;

/// <summary>One value of a <see cref="JsonStream"/>: where it starts (index, and 1-based line and column) and its length.</summary>
internal readonly record struct JsonStreamValue(int Start, int Length, long Line, long Column);

/// <summary>
/// JSON objects written one after another with no separator (<c>{…}{…}</c>, or one per line), which
/// <c>kubectl apply -f</c> reads (its decoder reads JSON values from a stream until the end) but which is not one YAML
/// document: kubectl's own test data has such files (<c>hack/testdata/multi-resource-json.json</c>).
/// </summary>
internal static class JsonStream
{
    /// <summary>
    /// The values of a text made of two or more JSON objects or arrays with only whitespace between them, or null when
    /// it is not one (a single value, text that does not start with <c>{</c> or <c>[</c>, unbalanced brackets, anything
    /// else between values). Only brackets and double-quoted strings are looked at: each value is parsed afterwards.
    /// </summary>
    public static IReadOnlyList<JsonStreamValue>? Split(string text)
    {
        var values = new List<JsonStreamValue>();
        var position = new Position(text);
        position.SkipWhitespace();
        while (!position.AtEnd)
        {
            if (text[position.Index] is not ('{' or '['))
                return null;
            var (start, line, column) = (position.Index, position.Line, position.Column);
            if (!position.SkipValue())
                return null;
            values.Add(new JsonStreamValue(start, position.Index - start, line, column));
            position.SkipWhitespace();
        }
        return values.Count > 1 ? values : null;
    }

    /// <summary>A cursor that counts lines as YamlDotNet does (LF, CRLF and CR each end a line), so that marks agree.</summary>
    private sealed class Position(string text)
    {
        private int _lineStart;

        public int Index { get; private set; }
        public long Line { get; private set; } = 1;
        public long Column => Index - _lineStart + 1;
        public bool AtEnd => Index >= text.Length;

        public void SkipWhitespace()
        {
            while (!AtEnd && text[Index] is ' ' or '\t' or '\r' or '\n') Advance();
        }

        /// <summary>Moves past one bracketed value; false when it does not close.</summary>
        public bool SkipValue()
        {
            var depth = 0;
            var inString = false;
            while (!AtEnd)
            {
                var c = text[Index];
                Advance();
                if (inString)
                {
                    if (c == '\\' && !AtEnd) Advance();
                    else if (c == '"') inString = false;
                }
                else if (c == '"') inString = true;
                else if (c is '{' or '[') depth++;
                else if (c is '}' or ']' && --depth == 0) return true;
            }
            return false;
        }

        private void Advance()
        {
            var c = text[Index++];
            if (c == '\n' || (c == '\r' && (AtEnd || text[Index] != '\n')))
            {
                Line++;
                _lineStart = Index;
            }
        }
    }
}
