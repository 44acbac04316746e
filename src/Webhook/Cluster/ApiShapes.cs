using System.Text.Json.Serialization;
using RwxGuard.Mapping;

namespace RwxGuard.Cluster;

// What the API server sends around the objects: list pages, watch event lines, Status errors. Decoded with
// source-generated JSON straight into the minimal object shapes, one page or one event at a time.

/// <summary>One page of a list.</summary>
public sealed class ShapeList<T>
{
    public ListMeta? Metadata { get; set; }
    public List<T?>? Items { get; set; }
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
