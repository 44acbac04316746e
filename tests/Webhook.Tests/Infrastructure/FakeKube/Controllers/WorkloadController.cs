using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace RwxGuard.Tests.Infrastructure.FakeKube.Controllers;

/// <summary>
/// Deployments and StatefulSets → pods, plus what the scheduler and kubelet report about them. Pods are owned directly
/// by their workload (no ReplicaSets) and carry the template's labels, so label selectors find them as in a cluster.
/// <list type="bullet">
/// <item>replicas (absent = 1) decide how many pods run; extra pods get a deletionTimestamp and disappear after
/// <see cref="TerminationDelay"/> (the grace period a test controls); a changed template replaces every pod;</item>
/// <item>pods are placed on <see cref="Nodes"/> round-robin; a pod whose claim is missing or Pending stays Pending with
/// a FailedScheduling event; a pod whose single-attach (RWO/RWOP) claim is already used by a running pod on another
/// node stays ContainerCreating with the kubelet's "Multi-Attach error" FailedAttachVolume event; otherwise it runs;</item>
/// <item>status: replicas, readyReplicas, availableReplicas, updatedReplicas, observedGeneration.</item>
/// </list>
/// </summary>
public sealed class WorkloadController : IFakeController
{
    private readonly Dictionary<string, DateTimeOffset> _terminating = [];

    public TimeSpan TerminationDelay { get; set; } = TimeSpan.FromMilliseconds(100);
    public IReadOnlyList<string> Nodes { get; set; } = ["node-a", "node-b"];

    public void Reconcile(FakeKubeApi api)
    {
        lock (api.Store.Gate)
        {
            foreach (var type in new[] { ResourceType.Deployments, ResourceType.StatefulSets })
                foreach (var workload in api.Store.List(type))
                    ReconcileWorkload(api, type, workload);
            FinishTerminations(api.Store, TerminationDelay, _terminating);
        }
    }

    /// <summary>Pods terminating longer than the grace period are gone. Timed here, not from deletionTimestamp, which
    /// has a resolution of one second.</summary>
    public static void FinishTerminations(ObjectStore store, TimeSpan delay, Dictionary<string, DateTimeOffset> terminating)
    {
        var now = store.Time.GetUtcNow();
        foreach (var pod in store.List(ResourceType.Pods).Where(p => p.IsDeleting()))
        {
            var since = terminating.TryGetValue(pod.Uid(), out var seen) ? seen : terminating[pod.Uid()] = now;
            if (now - since < delay) continue;
            store.Mutate(ResourceType.Pods, pod.Namespace(), pod.Name(), p => p.SetFinalizers([]));
            terminating.Remove(pod.Uid());
        }
    }

    private void ReconcileWorkload(FakeKubeApi api, ResourceType type, JsonObject workload)
    {
        var store = api.Store;
        var ns = workload.Namespace();
        var desired = workload.Int("spec.replicas") ?? 1;
        var template = workload["spec"]?["template"] as JsonObject ?? new JsonObject();
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(template.ToJsonString())))[..10];
        var owned = store.List(ResourceType.Pods, ns).Where(p => OwnerUid(p) == workload.Uid()).ToList();
        var live = owned.Where(p => !p.IsDeleting()).ToList();

        foreach (var outdated in live.Where(p => p.Labels().GetValueOrDefault("pod-template-hash") != hash))
            Terminate(store, outdated);
        var current = live.Where(p => p.Labels().GetValueOrDefault("pod-template-hash") == hash)
            .OrderBy(p => p.Str("metadata.creationTimestamp")).ThenBy(p => p.Name(), StringComparer.Ordinal).ToList();
        var recreate = workload.Str("spec.strategy.type") == "Recreate" || type == ResourceType.StatefulSets;
        var stillTerminating = owned.Any(p => p.IsDeleting() || p.Labels().GetValueOrDefault("pod-template-hash") != hash);

        for (var i = current.Count; i < desired && !(recreate && stillTerminating); i++)
        {
            var name = type == ResourceType.StatefulSets ? $"{workload.Name()}-{FreeOrdinal(store, ns, workload.Name())}" : $"{workload.Name()}-{hash[..6]}-{Suffix()}";
            current.Add(store.Create(ResourceType.Pods, ns, NewPod(type, workload, template, name, hash, i)));
        }
        foreach (var extra in current.Skip(desired).ToList())
        {
            Terminate(store, extra);
            current.Remove(extra);
        }

        var running = 0;
        foreach (var pod in current)
            if (UpdatePodStatus(api, pod)) running++;

        store.Mutate(type, ns, workload.Name(), w =>
        {
            w["status"] = new JsonObject
            {
                ["observedGeneration"] = w.Int("metadata.generation") ?? 1,
                ["replicas"] = current.Count + owned.Count(p => p.IsDeleting()),
                ["readyReplicas"] = running,
                ["availableReplicas"] = running,
                ["updatedReplicas"] = current.Count,
                ["currentReplicas"] = current.Count,
            };
        });
    }

    /// <summary>True when the pod runs. Decides Pending / ContainerCreating / Running as the scheduler and kubelet do.</summary>
    private static bool UpdatePodStatus(FakeKubeApi api, JsonObject pod)
    {
        var store = api.Store;
        var ns = pod.Namespace();
        string? blockedReason = null, blockedMessage = null;
        var scheduled = true;
        var waiting = false;
        foreach (var claimName in Obj.ClaimNames(pod["spec"]))
        {
            var claim = store.Get(ResourceType.Claims, ns, claimName);
            var waitsForConsumer = claim is not null && claim.Str("status.phase") == "Pending"
                && store.Get(ResourceType.StorageClasses, null, claim.Str("spec.storageClassName") ?? "")?.Str("volumeBindingMode") == "WaitForFirstConsumer";
            if (waitsForConsumer)
            {
                // The scheduler placed the pod; the provisioner creates the volume for it: ContainerCreating, no event.
                (blockedReason, blockedMessage) = (null, null);
                scheduled = true;
                waiting = true;
                break;
            }
            if (claim is null || claim.Str("status.phase") != "Bound")
            {
                scheduled = false;
                (blockedReason, blockedMessage) = ("FailedScheduling", claim is null
                    ? $"0/{2} nodes are available: persistentvolumeclaim \"{claimName}\" not found. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
                    : $"0/{2} nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.");
                break;
            }
            var modes = claim.At("status.accessModes") as JsonArray;
            var multi = modes?.Any(m => (string?)m is "ReadWriteMany" or "ReadOnlyMany") == true;
            if (multi) continue;
            var holder = PersistentVolumeController.MountingPods(store, ns, claimName)
                .Where(p => p.Name() != pod.Name() && p.Str("status.phase") == "Running" && p.Str("spec.nodeName") != pod.Str("spec.nodeName"))
                .Select(p => p.Name()).Order(StringComparer.Ordinal).FirstOrDefault();
            if (holder is not null)
            {
                (blockedReason, blockedMessage) = ("FailedAttachVolume",
                    $"Multi-Attach error for volume \"{claim.Str("spec.volumeName")}\" Volume is already used by pod(s) {holder}");
            }
        }

        var running = blockedReason is null && !waiting;
        var containers = (pod["spec"]?["containers"] as JsonArray ?? []).OfType<JsonObject>().Select(c => (string?)c["name"] ?? "").ToList();
        var previous = pod["status"]?.DeepClone();
        store.Mutate(ResourceType.Pods, ns, pod.Name(), p =>
        {
            var startedAt = p.Str("status.startTime") ?? store.Now();
            p["status"] = running
                ? new JsonObject
                {
                    ["phase"] = "Running",
                    ["hostIP"] = "10.0.0.1",
                    ["podIP"] = "10.1.0." + (Math.Abs(p.Name().GetHashCode(StringComparison.Ordinal)) % 250),
                    ["startTime"] = startedAt,
                    ["conditions"] = new JsonArray(Condition("PodScheduled", true), Condition("Initialized", true), Condition("ContainersReady", true), Condition("Ready", true)),
                    ["containerStatuses"] = new JsonArray([.. containers.Select(c => (JsonNode)new JsonObject
                    {
                        ["name"] = c, ["ready"] = true, ["restartCount"] = 0, ["started"] = true,
                        ["state"] = new JsonObject { ["running"] = new JsonObject { ["startedAt"] = startedAt } },
                    })]),
                }
                : new JsonObject
                {
                    ["phase"] = "Pending",
                    ["startTime"] = startedAt,
                    ["conditions"] = scheduled
                        ? new JsonArray(Condition("PodScheduled", true), Condition("Ready", false))
                        : new JsonArray(new JsonObject { ["type"] = "PodScheduled", ["status"] = "False", ["reason"] = "Unschedulable", ["message"] = blockedMessage }),
                    ["containerStatuses"] = scheduled
                        ? new JsonArray([.. containers.Select(c => (JsonNode)new JsonObject
                        {
                            ["name"] = c, ["ready"] = false, ["restartCount"] = 0, ["started"] = false,
                            ["state"] = new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "ContainerCreating" } },
                        })])
                        : null,
                };
        });
        if (!running && blockedReason is not null && !JsonNode.DeepEquals(previous, store.Get(ResourceType.Pods, ns, pod.Name())?["status"]))
            FakeEvents.Emit(api, ResourceType.Pods, pod, "Warning", blockedReason, blockedMessage!, blockedReason == "FailedScheduling" ? "default-scheduler" : "attachdetach-controller");
        return running;
    }

    private static JsonObject Condition(string type, bool status) => new() { ["type"] = type, ["status"] = status ? "True" : "False" };

    private JsonObject NewPod(ResourceType type, JsonObject workload, JsonObject template, string name, string hash, int index)
    {
        var labels = template["metadata"]?["labels"]?.DeepClone() as JsonObject ?? new JsonObject();
        labels["pod-template-hash"] = hash;
        var spec = template["spec"]?.DeepClone() as JsonObject ?? new JsonObject();
        spec["nodeName"] = Nodes[index % Nodes.Count];
        return new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["labels"] = labels,
                ["ownerReferences"] = new JsonArray(new JsonObject
                {
                    ["apiVersion"] = type.ApiVersion, ["kind"] = type.Kind, ["name"] = workload.Name(), ["uid"] = workload.Uid(),
                    ["controller"] = true, ["blockOwnerDeletion"] = true,
                }),
            },
            ["spec"] = spec,
        };
    }

    private static int FreeOrdinal(ObjectStore store, string ns, string name)
    {
        var i = 0;
        while (store.Get(ResourceType.Pods, ns, $"{name}-{i}") is not null) i++;
        return i;
    }

    private static void Terminate(ObjectStore store, JsonObject pod)
    {
        if (pod.IsDeleting()) return;
        // A finalizer stands for the grace period: the pod stays, terminating, until FinishTerminations.
        store.Mutate(ResourceType.Pods, pod.Namespace(), pod.Name(), p => p.SetFinalizers(p.Finalizers().Append("fake.kube/grace-period").Distinct()));
        store.Delete(ResourceType.Pods, pod.Namespace(), pod.Name());
    }

    public static string? OwnerUid(JsonObject obj) =>
        (obj["metadata"]?["ownerReferences"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(o => (bool?)o["controller"] == true)?.Str("uid");

    private static string Suffix() => string.Concat(Enumerable.Range(0, 5).Select(_ => "bcdfghjklmnpqrstvwxz2456789"[Random.Shared.Next(27)]));
}
