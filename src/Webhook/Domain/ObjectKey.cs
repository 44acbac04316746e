namespace RwxGuard.Domain;

/// <summary>namespace/name, printed the way kubectl prints it.</summary>
public readonly record struct ObjectKey(string Namespace, string Name)
{
    public override string ToString() => string.IsNullOrEmpty(Namespace) ? Name : $"{Namespace}/{Name}";
}

internal static class Empty
{
    public static readonly IReadOnlyDictionary<string, string> Labels = new Dictionary<string, string>();
    public static readonly IReadOnlyDictionary<string, string?> Env = new Dictionary<string, string?>();
}
