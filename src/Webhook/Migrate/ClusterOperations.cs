using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using RwxGuard.Policies;
using RwxGuard.Domain;

namespace RwxGuard.Migrate;

/// <summary>
/// The API calls a migration makes, each safe to repeat: merge patches of annotations and fields, creates that accept
/// "already exists", deletes that accept "not found" and carry the uid they mean, and polls with a deadline.
/// </summary>
internal sealed class ClusterOperations(IKubernetes k, MigrationTimings timings)
{
    public IKubernetes Client => k;
    public MigrationTimings Timings => timings;

    public async Task<(IDictionary<string, string> Annotations, string ResourceVersion, int Replicas, V1PodTemplateSpec? Template)> ReadWorkloadAsync(
        WorkloadKind kind, string ns, string name, CancellationToken ct)
    {
        if (kind == WorkloadKind.StatefulSet)
        {
            var s = await k.AppsV1.ReadNamespacedStatefulSetAsync(name, ns, cancellationToken: ct);
            return (s.Metadata.Annotations ?? new Dictionary<string, string>(), s.Metadata.ResourceVersion, s.Spec?.Replicas ?? 1, s.Spec?.Template);
        }
        var d = await k.AppsV1.ReadNamespacedDeploymentAsync(name, ns, cancellationToken: ct);
        return (d.Metadata.Annotations ?? new Dictionary<string, string>(), d.Metadata.ResourceVersion, d.Spec?.Replicas ?? 1, d.Spec?.Template);
    }

    /// <summary>Sets (value) or removes (null) workload annotations; with <paramref name="resourceVersion"/> the write
    /// fails with 409 when someone else wrote first.</summary>
    public Task PatchWorkloadAnnotationsAsync(WorkloadKind kind, string ns, string name, IDictionary<string, string?> annotations,
        CancellationToken ct, string? resourceVersion = null)
    {
        var patch = Patch(new Dictionary<string, object?> { ["metadata"] = Metadata(annotations, resourceVersion) });
        return kind == WorkloadKind.StatefulSet
            ? k.AppsV1.PatchNamespacedStatefulSetAsync(patch, name, ns, cancellationToken: ct)
            : k.AppsV1.PatchNamespacedDeploymentAsync(patch, name, ns, cancellationToken: ct);
    }

    public Task ScaleAsync(WorkloadKind kind, string ns, string name, int replicas, CancellationToken ct)
    {
        var patch = Patch(new Dictionary<string, object?> { ["spec"] = new Dictionary<string, object?> { ["replicas"] = replicas } });
        return kind == WorkloadKind.StatefulSet
            ? k.AppsV1.PatchNamespacedStatefulSetScaleAsync(patch, name, ns, cancellationToken: ct)
            : k.AppsV1.PatchNamespacedDeploymentScaleAsync(patch, name, ns, cancellationToken: ct);
    }

    public async Task<(int Desired, int Ready, bool Observed)> RolloutAsync(WorkloadKind kind, string ns, string name, CancellationToken ct)
    {
        if (kind == WorkloadKind.StatefulSet)
        {
            var s = await k.AppsV1.ReadNamespacedStatefulSetAsync(name, ns, cancellationToken: ct);
            return (s.Spec?.Replicas ?? 1, s.Status?.ReadyReplicas ?? 0, (s.Status?.ObservedGeneration ?? 0) >= (s.Metadata.Generation ?? 0));
        }
        var d = await k.AppsV1.ReadNamespacedDeploymentAsync(name, ns, cancellationToken: ct);
        return (d.Spec?.Replicas ?? 1, d.Status?.ReadyReplicas ?? 0, (d.Status?.ObservedGeneration ?? 0) >= (d.Metadata.Generation ?? 0));
    }

    public Task<V1PersistentVolumeClaim?> ClaimAsync(string ns, string name, CancellationToken ct) =>
        ClusterReader.OrNull(() => k.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(name, ns, cancellationToken: ct));

    public Task<V1PersistentVolume?> VolumeAsync(string name, CancellationToken ct) =>
        ClusterReader.OrNull(() => k.CoreV1.ReadPersistentVolumeAsync(name, cancellationToken: ct));

    public Task PatchVolumeAsync(string name, object body, CancellationToken ct) =>
        k.CoreV1.PatchPersistentVolumeAsync(Patch(body), name, cancellationToken: ct);

    public Task PatchClaimAnnotationsAsync(string ns, string name, IDictionary<string, string?> annotations, CancellationToken ct) =>
        k.CoreV1.PatchNamespacedPersistentVolumeClaimAsync(Patch(new Dictionary<string, object?> { ["metadata"] = Metadata(annotations, null) }), name, ns, cancellationToken: ct);

    /// <summary>The state's copy on a claim that may be going away (deleted by this migration, its answer lost): a claim
    /// that is terminating or gone has no use for it.</summary>
    public async Task MirrorOnClaimAsync(string ns, string name, string? volume, IDictionary<string, string?> annotations, CancellationToken ct)
    {
        if (await ClaimAsync(ns, name, ct) is not { Metadata.DeletionTimestamp: null } claim || (volume is not null && claim.Spec?.VolumeName != volume)) return;
        try
        {
            await PatchClaimAnnotationsAsync(ns, name, annotations, ct);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // removed between the read and the write
        }
    }

    /// <summary>Creates the claim unless it exists (an earlier run's create whose answer was lost).</summary>
    public async Task CreateClaimAsync(V1PersistentVolumeClaim claim, CancellationToken ct)
    {
        try
        {
            await k.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(claim, claim.Metadata.NamespaceProperty, cancellationToken: ct);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // already there: the caller checks it is the one it meant
        }
    }

    /// <summary>Deletes exactly this claim (uid precondition) and waits until it is gone (pvc-protection holds it while a pod uses it).</summary>
    public async Task DeleteClaimAsync(V1PersistentVolumeClaim claim, CancellationToken ct)
    {
        var ns = claim.Metadata.NamespaceProperty;
        var name = claim.Metadata.Name;
        try
        {
            await k.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync(name, ns,
                new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = claim.Metadata.Uid } }, cancellationToken: ct);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound)
        {
            return;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Conflict)
        {
            // the uid changed: the claim of that name is another one now; never delete it by accident
            return;
        }
        await UntilAsync(async () => await ClaimAsync(ns, name, ct) is not { } c || c.Metadata.Uid != claim.Metadata.Uid,
            $"persistentvolumeclaim {ns}/{name} to be deleted (a pod still using it keeps it: kubectl get pods -n {ns})", timings.Wait, ct);
    }

    /// <summary>Pods (not finished) that mount the claim, except the migration's own copy pods.</summary>
    public async Task<IReadOnlyList<string>> PodsMountingAsync(string ns, string claim, CancellationToken ct) =>
        (await k.CoreV1.ListNamespacedPodAsync(ns, cancellationToken: ct)).Items
            .Where(p => MountsClaim(p, claim)).Select(p => p.Metadata.Name).ToList();

    /// <summary>A pod that is not finished, mounts the claim, and is not one of the migration's own copy pods.</summary>
    public static bool MountsClaim(V1Pod pod, string claim) =>
        pod.Status?.Phase is not ("Succeeded" or "Failed")
        && (pod.Spec?.Volumes ?? []).Any(v => v.PersistentVolumeClaim?.ClaimName == claim)
        && pod.Metadata.Labels?.Value(MigrationObjects.ComponentLabel) != "copy";

    public async Task UntilAsync(Func<Task<bool>> done, string what, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (!await done())
        {
            if (DateTimeOffset.UtcNow > deadline) throw new MigrationException($"timed out after {timeout.TotalSeconds:0} s waiting for {what}");
            await Task.Delay(timings.Poll, ct);
        }
    }

    public static V1Patch Patch(object body) => new(JsonSerializer.Serialize(body), V1Patch.PatchType.MergePatch);

    private static Dictionary<string, object?> Metadata(IDictionary<string, string?> annotations, string? resourceVersion)
    {
        var metadata = new Dictionary<string, object?> { ["annotations"] = annotations };
        if (resourceVersion is not null) metadata["resourceVersion"] = resourceVersion;
        return metadata;
    }
}
