using System.Text;

namespace RwxGuard.Telemetry;

/// <summary>Text from outside (object names, uids, messages) made safe for a one-line log record.</summary>
public static class LogText
{
    /// <summary>Control characters and Unicode line breaks as \uXXXX escapes; anything else as it is.</summary>
    public static string Printable(string text)
    {
        var first = text.AsSpan().IndexOfAnyInRange('\u0000', '\u001f');
        if (first < 0) first = IndexOfOtherBreak(text);
        if (first < 0) return text;

        var builder = new StringBuilder(text.Length + 16).Append(text, 0, first);
        foreach (var c in text.AsSpan(first))
        {
            if (IsUnsafe(c)) builder.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            else builder.Append(c);
        }
        return builder.ToString();
    }

    private static int IndexOfOtherBreak(string text)
    {
        for (var i = 0; i < text.Length; i++)
            if (IsUnsafe(text[i])) return i;
        return -1;
    }

    private static bool IsUnsafe(char c) => c < ' ' || c is '\u007f' or '\u0085' or '\u2028' or '\u2029';
}
