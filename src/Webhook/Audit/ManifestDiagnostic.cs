namespace RwxGuard.Audit;

/// <summary>An error or warning about the input, at <c>source:line:column</c> (line 0: about the source as a whole).</summary>
internal sealed record ManifestDiagnostic(string Source, long Line, long Column, string Message)
{
    public static ManifestDiagnostic About(string source, string message) => new(source, 0, 0, message);

    public override string ToString() => Line > 0 ? $"{Source}:{Line}:{Column}: {Message}" : $"{Source}: {Message}";
}
