using System.Text.Json.Serialization;
using RwxGuard.Mapping;

namespace RwxGuard.Cluster;

// What the API server sends around the objects: list pages, watch event lines, Status errors. Decoded with
// source-generated JSON straight into the minimal object shapes, one page or one event at a time.

/// <summary>One page of a list.</summary>
public sealed class ShapeList<T> where T : class
{
    public ListMeta? Metadata { get; set; }
    public ItemStream<T>? Items { get; set; }
}

/// <summary>
/// A list's items, handed one by one to the consumer set in <see cref="Consumer"/> as the serializer completes each
/// (it reads collections element by element, resumably, from the response stream), and not kept: a list answered in
/// one page, as an API server serving from its watch cache does, is never held whole. The consumer is an
/// <see cref="AsyncLocal{T}"/> because the serializer creates the collection itself, within the caller's flow.
/// </summary>
public sealed class ItemStream<T> : ICollection<T?> where T : class
{
    internal static readonly AsyncLocal<Action<T>?> Consumer = new();

    private readonly Action<T> _consumer = Consumer.Value
        ?? throw new InvalidOperationException($"a list of {typeof(T).Name} is decoded only with a consumer for its items");

    /// <summary>Items handed on (nulls are skipped).</summary>
    public int Count { get; private set; }

    public bool IsReadOnly => false;

    public void Add(T? item)
    {
        if (item is null) return;
        _consumer(item);
        Count++;
    }

    // Nothing is kept, so there is nothing to read back.
    public void Clear() => throw new NotSupportedException();
    public bool Contains(T? item) => throw new NotSupportedException();
    public void CopyTo(T?[] array, int arrayIndex) => throw new NotSupportedException();
    public bool Remove(T? item) => throw new NotSupportedException();
    public IEnumerator<T?> GetEnumerator() => Enumerable.Empty<T?>().GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

public sealed class ListMeta
{
    public string? ResourceVersion { get; set; }
    public string? Continue { get; set; }
}

/// <summary>One line of a watch stream: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.</summary>
public sealed class WatchEvent<T>
{
    public string? Type { get; set; }
    public T? Object { get; set; }
}

/// <summary>metav1.Status: the body of an error answer and the object of an ERROR watch event.</summary>
public sealed class ApiStatus
{
    public string? Status { get; set; }
    public string? Message { get; set; }
    public string? Reason { get; set; }
    public int Code { get; set; }
}

/// <summary>The object of a BOOKMARK event: a resourceVersion, and the annotation that ends a watch-list's initial events.</summary>
public sealed class BookmarkObject
{
    public AnnotatedObjectMeta? Metadata { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, MaxDepth = 128)]
[JsonSerializable(typeof(ShapeList<WorkloadObject>))]
[JsonSerializable(typeof(ShapeList<ClaimObject>))]
[JsonSerializable(typeof(ShapeList<HpaObject>))]
[JsonSerializable(typeof(ShapeList<StorageClassObject>))]
[JsonSerializable(typeof(ShapeList<NamespaceObject>))]
[JsonSerializable(typeof(WatchEvent<WorkloadObject>))]
[JsonSerializable(typeof(WatchEvent<ClaimObject>))]
[JsonSerializable(typeof(WatchEvent<HpaObject>))]
[JsonSerializable(typeof(WatchEvent<StorageClassObject>))]
[JsonSerializable(typeof(WatchEvent<NamespaceObject>))]
[JsonSerializable(typeof(WatchEvent<ApiStatus>))]
[JsonSerializable(typeof(WatchEvent<BookmarkObject>))]
[JsonSerializable(typeof(ApiStatus))]
internal sealed partial class ClusterJsonContext : JsonSerializerContext;
