using k8s;
using k8s.Models;

namespace RwxGuard.Cluster;

internal sealed record ListPage<T>(IList<T> Items, string? ResourceVersion, string? Continue);

/// <summary>List and watch of one resource across all namespaces, through KubernetesClient's generated operations.</summary>
internal sealed class ResourceClient<T>(
    string resource,
    Func<int, string?, CancellationToken, Task<ListPage<T>>> list,
    Func<string, int, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> watch)
    where T : IKubernetesObject<V1ObjectMeta>
{
    /// <summary>The API resource, plural, as in RBAC rules: "persistentvolumeclaims".</summary>
    public string Resource { get; } = resource;

    public Task<ListPage<T>> ListAsync(int limit, string? continueToken, CancellationToken cancellationToken) =>
        list(limit, continueToken, cancellationToken);

    /// <summary>Watch from <paramref name="resourceVersion"/> with bookmarks; the request starts at once.</summary>
    public IAsyncEnumerable<(WatchEventType, T)> WatchAsync(string resourceVersion, int timeoutSeconds, Action<Exception> onError,
        CancellationToken cancellationToken) => watch(resourceVersion, timeoutSeconds, onError, cancellationToken);
}

/// <summary>The eight resources the view watches.</summary>
internal static class ResourceClients
{
    public const string Claims = "persistentvolumeclaims";
    public const string Deployments = "deployments";
    public const string StatefulSets = "statefulsets";
    public const string ReplicaSets = "replicasets";
    public const string DaemonSets = "daemonsets";
    public const string Autoscalers = "horizontalpodautoscalers";
    public const string StorageClasses = "storageclasses";
    public const string Namespaces = "namespaces";

    private static ListPage<T> Page<T, TList>(TList list) where TList : IItems<T>, IMetadata<V1ListMeta> =>
        new(list.Items ?? [], list.Metadata?.ResourceVersion, string.IsNullOrEmpty(list.Metadata?.ContinueProperty) ? null : list.Metadata.ContinueProperty);

    public static ResourceClient<V1PersistentVolumeClaim> PersistentVolumeClaims(IKubernetes k) => new(Claims,
        async (limit, token, ct) => Page<V1PersistentVolumeClaim, V1PersistentVolumeClaimList>(
            await k.CoreV1.ListPersistentVolumeClaimForAllNamespacesAsync(continueParameter: token, limit: limit, cancellationToken: ct).ConfigureAwait(false)),
        (rv, timeout, onError, ct) => k.CoreV1.WatchListPersistentVolumeClaimForAllNamespacesAsync(
            allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, onError: onError, cancellationToken: ct));

    public static ResourceClient<V1Deployment> DeploymentClient(IKubernetes k) => new(Deployments,
        async (limit, token, ct) => Page<V1Deployment, V1DeploymentList>(
            await k.AppsV1.ListDeploymentForAllNamespacesAsync(continueParameter: token, limit: limit, cancellationToken: ct).ConfigureAwait(false)),
        (rv, timeout, onError, ct) => k.AppsV1.WatchListDeploymentForAllNamespacesAsync(
            allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, onError: onError, cancellationToken: ct));

    public static ResourceClient<V1StatefulSet> StatefulSetClient(IKubernetes k) => new(StatefulSets,
        async (limit, token, ct) => Page<V1StatefulSet, V1StatefulSetList>(
            await k.AppsV1.ListStatefulSetForAllNamespacesAsync(continueParameter: token, limit: limit, cancellationToken: ct).ConfigureAwait(false)),
        (rv, timeout, onError, ct) => k.AppsV1.WatchListStatefulSetForAllNamespacesAsync(
            allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, onError: onError, cancellationToken: ct));

    public static ResourceClient<V1ReplicaSet> ReplicaSetClient(IKubernetes k) => new(ReplicaSets,
        async (limit, token, ct) => Page<V1ReplicaSet, V1ReplicaSetList>(
            await k.AppsV1.ListReplicaSetForAllNamespacesAsync(continueParameter: token, limit: limit, cancellationToken: ct).ConfigureAwait(false)),
        (rv, timeout, onError, ct) => k.AppsV1.WatchListReplicaSetForAllNamespacesAsync(
            allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, onError: onError, cancellationToken: ct));

    public static ResourceClient<V1DaemonSet> DaemonSetClient(IKubernetes k) => new(DaemonSets,
        async (limit, token, ct) => Page<V1DaemonSet, V1DaemonSetList>(
            await k.AppsV1.ListDaemonSetForAllNamespacesAsync(continueParameter: token, limit: limit, cancellationToken: ct).ConfigureAwait(false)),
        (rv, timeout, onError, ct) => k.AppsV1.WatchListDaemonSetForAllNamespacesAsync(
            allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, onError: onError, cancellationToken: ct));

    public static ResourceClient<V2HorizontalPodAutoscaler> AutoscalerClient(IKubernetes k) => new(Autoscalers,
        async (limit, token, ct) => Page<V2HorizontalPodAutoscaler, V2HorizontalPodAutoscalerList>(
            await k.AutoscalingV2.ListHorizontalPodAutoscalerForAllNamespacesAsync(continueParameter: token, limit: limit, cancellationToken: ct).ConfigureAwait(false)),
        (rv, timeout, onError, ct) => k.AutoscalingV2.WatchListHorizontalPodAutoscalerForAllNamespacesAsync(
            allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, onError: onError, cancellationToken: ct));

    public static ResourceClient<V1StorageClass> StorageClassClient(IKubernetes k) => new(StorageClasses,
        async (limit, token, ct) => Page<V1StorageClass, V1StorageClassList>(
            await k.StorageV1.ListStorageClassAsync(continueParameter: token, limit: limit, cancellationToken: ct).ConfigureAwait(false)),
        (rv, timeout, onError, ct) => k.StorageV1.WatchListStorageClassAsync(
            allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, onError: onError, cancellationToken: ct));

    public static ResourceClient<V1Namespace> NamespaceClient(IKubernetes k) => new(Namespaces,
        async (limit, token, ct) => Page<V1Namespace, V1NamespaceList>(
            await k.CoreV1.ListNamespaceAsync(continueParameter: token, limit: limit, cancellationToken: ct).ConfigureAwait(false)),
        (rv, timeout, onError, ct) => k.CoreV1.WatchListNamespaceAsync(
            allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, onError: onError, cancellationToken: ct));
}
