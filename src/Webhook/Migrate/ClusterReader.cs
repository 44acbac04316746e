using RwxGuard.Mapping;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using RwxGuard.Cluster;
using RwxGuard.Policies;
using RwxGuard.Domain;

namespace RwxGuard.Migrate;

/// <summary>Reads what <see cref="MigrationPlanner"/> needs from the API server, changing nothing.</summary>
public static class ClusterReader
{
    public static async Task<ClusterSnapshot> ReadAsync(IKubernetes k, MigrateRequest request, CancellationToken ct)
    {
        var ns = request.Namespace;
        var workloads = new List<SnapshotWorkload>();
        foreach (var d in (await k.AppsV1.ListNamespacedDeploymentAsync(ns, cancellationToken: ct)).Items)
            workloads.Add(Object(ModelMapping.ToWorkload(d), d.Metadata, d.Spec?.Template));
        foreach (var s in (await k.AppsV1.ListNamespacedStatefulSetAsync(ns, cancellationToken: ct)).Items)
            workloads.Add(Object(ModelMapping.ToWorkload(s), s.Metadata, s.Spec?.Template));
        foreach (var r in (await k.AppsV1.ListNamespacedReplicaSetAsync(ns, cancellationToken: ct)).Items)
            workloads.Add(Object(ModelMapping.ToWorkload(r), r.Metadata, r.Spec?.Template));
        var workload = workloads.FirstOrDefault(w => w.Kind == request.Workload.Kind && w.Name == request.Workload.Name);

        var state = workload is null ? null : MigrationState.FromAnnotations(new Dictionary<string, string>(workload.Annotations));
        var claimName = state?.Claim ?? request.Claim ?? (workload?.Info.Template.ClaimNames is [var only] ? only : null);
        var claim = claimName is null ? null : await OrNull(() => k.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(claimName, ns, cancellationToken: ct));
        var volumeName = claim?.Spec?.VolumeName ?? state?.OriginalVolume;
        var volume = string.IsNullOrEmpty(volumeName) ? null : await OrNull(() => k.CoreV1.ReadPersistentVolumeAsync(volumeName, cancellationToken: ct));

        var unscalable = new List<string>();
        if (claimName is not null)
        {
            foreach (var ds in (await k.AppsV1.ListNamespacedDaemonSetAsync(ns, cancellationToken: ct)).Items)
                if (ModelMapping.ToPodTemplate(ds.Spec?.Template, Retention.Transient).ClaimNames.Contains(claimName)) unscalable.Add($"daemonset/{ds.Metadata.Name}");
            foreach (var pod in (await k.CoreV1.ListNamespacedPodAsync(ns, cancellationToken: ct)).Items)
            {
                if (!ClusterOperations.MountsClaim(pod, claimName)) continue;
                var owner = pod.Metadata.OwnerReferences?.FirstOrDefault(o => o.Controller == true);
                if (owner is null or { Kind: "Job" }) unscalable.Add($"pod/{pod.Metadata.Name}{(owner is null ? "" : $" (job {owner.Name})")}");
            }
        }

        var classes = (await k.StorageV1.ListStorageClassAsync(cancellationToken: ct)).Items;
        var nsObject = await OrNull(() => k.CoreV1.ReadNamespaceAsync(ns, cancellationToken: ct));
        var autoscalers = (await k.AutoscalingV2.ListNamespacedHorizontalPodAutoscalerAsync(ns, cancellationToken: ct)).Items.Select(h => ModelMapping.ToHpa(h)).ToList();

        IReadOnlyList<string>? drivers = null;
        if (request.Snapshot)
        {
            try
            {
                var list = await k.CustomObjects.ListClusterCustomObjectAsync<V1VolumeSnapshotClassList>("snapshot.storage.k8s.io", "v1", "volumesnapshotclasses", cancellationToken: ct);
                drivers = [.. list.Items.Select(i => i.Driver ?? "")];
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                drivers = null;
            }
        }

        var foreign = false;
        if (claimName is not null && await OrNull(() => k.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(Names.TemporaryClaim(claimName), ns, cancellationToken: ct)) is { } temporary)
            foreign = temporary.Metadata.Annotations?.Value(MigrationAnnotations.TemporaryFor) != claimName;

        var access = new List<AccessCheck>();
        foreach (var check in MigrationPlanner.RequiredAccess(request.Workload.Kind, request.Snapshot))
        {
            var review = await k.AuthorizationV1.CreateSelfSubjectAccessReviewAsync(new V1SelfSubjectAccessReview
            {
                Spec = new V1SelfSubjectAccessReviewSpec
                {
                    ResourceAttributes = new V1ResourceAttributes
                    {
                        Verb = check.Verb, Group = check.Group, Resource = check.Resource, Subresource = check.Subresource,
                        NamespaceProperty = check.Namespaced ? ns : null,
                    },
                },
            }, cancellationToken: ct);
            access.Add(check with { Allowed = review.Status?.Allowed == true });
        }

        return new ClusterSnapshot
        {
            Namespace = ns,
            Workload = workload,
            Workloads = workloads,
            UnscalableMounters = unscalable,
            Claim = claim,
            Volume = volume,
            StorageClasses = [.. classes.Select(ModelMapping.ToStorageClass)],
            BindingModes = classes.ToDictionary(c => c.Metadata.Name, c => c.VolumeBindingMode ?? "Immediate"),
            NamespaceLabels = nsObject?.Metadata?.Labels is { } labels ? new Dictionary<string, string>(labels) : new Dictionary<string, string>(),
            Access = access,
            Autoscalers = autoscalers,
            SnapshotDrivers = drivers,
            ForeignTemporaryClaim = foreign,
        };
    }

    /// <summary>The server's dry run of what the plan would create: admission (Pod Security, quotas, webhooks) answers now.</summary>
    public static async Task<IReadOnlyList<string>> DryRunAsync(IKubernetes k, MigrationState state, CancellationToken ct)
    {
        var errors = new List<string>();
        async Task Try(string what, Func<Task> create)
        {
            try { await create(); }
            catch (HttpOperationException e) when (e.Response.StatusCode != HttpStatusCode.Conflict)
            {
                errors.Add($"{what}: {ApiErrors.Describe(e)}");
            }
        }
        await Try($"persistentvolumeclaim/{state.TemporaryClaim}", () => k.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(MigrationObjects.TemporaryClaim(state), state.Namespace, dryRun: "All", cancellationToken: ct));
        await Try($"job/{state.CopyJob}", () => k.BatchV1.CreateNamespacedJobAsync(MigrationObjects.CopyJob(state), state.Namespace, dryRun: "All", cancellationToken: ct));
        return errors;
    }

    private static SnapshotWorkload Object(WorkloadInfo info, V1ObjectMeta? metadata, V1PodTemplateSpec? template)
    {
        var pod = template?.Spec?.SecurityContext;
        var container = template?.Spec?.Containers?.FirstOrDefault()?.SecurityContext;
        return new SnapshotWorkload
        {
            Info = info,
            Annotations = metadata?.Annotations is { } a ? new Dictionary<string, string>(a) : new Dictionary<string, string>(),
            RunAsUser = container?.RunAsUser ?? pod?.RunAsUser,
            RunAsGroup = container?.RunAsGroup ?? pod?.RunAsGroup,
            FsGroup = pod?.FsGroup,
        };
    }

    public static async Task<T?> OrNull<T>(Func<Task<T>> read) where T : class
    {
        try
        {
            return await read();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }
}

/// <summary>Just the fields of a VolumeSnapshotClass list the reader needs.</summary>
public sealed class V1VolumeSnapshotClassList
{
    public List<VolumeSnapshotClassItem> Items { get; set; } = [];

    public sealed class VolumeSnapshotClassItem
    {
        public string? Driver { get; set; }
    }
}
