namespace RwxGuard.Migrate;

/// <summary>KubernetesClient's models carry <see cref="IDictionary{TKey,TValue}"/>s (labels, annotations, capacity), which
/// have no GetValueOrDefault.</summary>
internal static class Maps
{
    public static TValue? Value<TValue>(this IDictionary<string, TValue>? map, string key) =>
        map is not null && map.TryGetValue(key, out var value) ? value : default;

    public static string Value(this IDictionary<string, string>? map, string key, string fallback) =>
        map is not null && map.TryGetValue(key, out var value) ? value : fallback;
}
