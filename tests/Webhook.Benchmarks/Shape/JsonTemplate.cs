using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;

namespace RwxGuard.Benchmarks.Shape;

/// <summary>
/// A JSON object's text with holes, compiled once into UTF-8 runs so that rendering one of 400,000 objects is a few
/// copies: no parsing, no string building. A hole is <c>@name@</c> (text inside a JSON string) or <c>"#name#"</c>
/// (a number: the quotes go, in plain and in escaped JSON alike). Values are written as they are, unescaped: they are
/// names, uids and numbers. A hole the template does not declare is an error (a name left unfilled would otherwise
/// reach the webhook as "@name@").
/// </summary>
public sealed partial class JsonTemplate
{
    private readonly byte[][] _literals;
    private readonly int[] _holes;

    private JsonTemplate(byte[][] literals, int[] holes)
    {
        _literals = literals;
        _holes = holes;
    }

    /// <summary>Bytes of the template with every hole empty (for sizing).</summary>
    public int LiteralBytes => _literals.Sum(l => l.Length);

    /// <param name="text">The object's JSON text without its opening brace (the caller writes it, or the event's envelope).</param>
    /// <param name="names">The holes, in the order of the values passed to <see cref="Render"/>.</param>
    public static JsonTemplate Compile(string text, IReadOnlyList<string> names)
    {
        var literals = new List<byte[]>();
        var holes = new List<int>();
        var last = 0;
        foreach (Match match in HolePattern().Matches(text))
        {
            var name = match.Groups["n"].Value;
            var index = IndexOf(names, name);
            if (index < 0) throw new ArgumentException($"the template has a hole \"{name}\" that is not among its values ({string.Join(", ", names)})");
            literals.Add(Encoding.UTF8.GetBytes(text[last..match.Index]));
            holes.Add(index);
            last = match.Index + match.Length;
        }
        literals.Add(Encoding.UTF8.GetBytes(text[last..]));
        return new JsonTemplate([.. literals], [.. holes]);
    }

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (var i = 0; i < names.Count; i++)
            if (names[i] == name) return i;
        return -1;
    }

    public void Render(IBufferWriter<byte> output, ReadOnlySpan<string> values)
    {
        for (var i = 0; i < _holes.Length; i++)
        {
            output.Write(_literals[i]);
            WriteAscii(output, values[_holes[i]]);
        }
        output.Write(_literals[^1]);
    }

    public static void WriteAscii(IBufferWriter<byte> output, string value)
    {
        var span = output.GetSpan(value.Length);
        var written = Encoding.UTF8.GetBytes(value, span);
        output.Advance(written);
    }

    // Escaped number holes first (\"#n#\" inside last-applied-configuration), then plain ones, then text holes.
    [GeneratedRegex("""\\"#(?<n>[A-Za-z]+)#\\"|"#(?<n>[A-Za-z]+)#"|@(?<n>[A-Za-z]+)@""")]
    private static partial Regex HolePattern();
}
