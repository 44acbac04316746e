using System.Text.Json.Nodes;

namespace RwxGuard.Tests.Infrastructure.FakeKube.Controllers;

/// <summary>
/// The PV controller, the pvc-protection and pv-protection controllers, and a CSI provisioner, reduced to what claims
/// and volumes do in a real cluster:
/// <list type="bullet">
/// <item>a Pending claim with <c>spec.volumeName</c> binds to that volume when the volume's <c>claimRef</c> is empty or
/// names this claim (and, when it carries a uid, this claim's uid), the classes are equal, the volume offers every
/// requested access mode and enough capacity; a volume whose claimRef names another uid never binds;</item>
/// <item>a Pending claim without volumeName binds to an Available volume that fits, or gets a new volume from its
/// class's provisioner (<c>WaitForFirstConsumer</c> classes wait for a pod that mounts the claim; provisioners in
/// <see cref="SingleAttachProvisioners"/> refuse ReadWriteMany and ReadOnlyMany with a ProvisioningFailed event);</item>
/// <item>a deleted claim keeps its <c>kubernetes.io/pvc-protection</c> finalizer while a pod that is not finished
/// mounts it;</item>
/// <item>a volume whose claim is gone (by uid) is Released and keeps its claimRef, old uid included; with reclaim
/// policy Delete it is deleted, with Retain it stays until someone clears <c>claimRef</c>, which makes it Available.</item>
/// </list>
/// </summary>
public sealed class PersistentVolumeController : IFakeController
{
    public const string ClaimProtection = "kubernetes.io/pvc-protection";
    public const string VolumeProtection = "kubernetes.io/pv-protection";

    public HashSet<string> SingleAttachProvisioners { get; } = ["ebs.csi.aws.com", "pd.csi.storage.gke.io", "disk.csi.azure.com", "kubernetes.io/aws-ebs"];

    /// <summary>Admission: what the API server adds to new claims and volumes (finalizers, the default class).</summary>
    public static void AddAdmissionPlugins(ObjectStore store) => store.AdmissionPlugins.Add((type, obj) =>
    {
        if (type == ResourceType.Claims)
        {
            obj.SetFinalizers(obj.Finalizers().Append(ClaimProtection).Distinct());
            obj.Set("status.phase", "Pending");
            // DefaultStorageClass: only when the field is absent ("" asks for no class).
            if (obj["spec"] is JsonObject spec && !spec.ContainsKey("storageClassName"))
            {
                var fallback = store.List(ResourceType.StorageClasses)
                    .Where(c => c.Annotations().GetValueOrDefault("storageclass.kubernetes.io/is-default-class") == "true")
                    .Select(c => c.Name()).Order(StringComparer.Ordinal).FirstOrDefault();
                if (fallback is not null) spec["storageClassName"] = fallback;
            }
        }
        else if (type == ResourceType.Volumes)
        {
            obj.SetFinalizers(obj.Finalizers().Append(VolumeProtection).Distinct());
            if (obj.Str("status.phase") is null) obj.Set("status.phase", obj.At("spec.claimRef") is null ? "Available" : "Pending");
        }
    });

    public void Reconcile(FakeKubeApi api)
    {
        var store = api.Store;
        lock (store.Gate)
        {
            foreach (var claim in store.List(ResourceType.Claims)) ReconcileClaim(api, claim);
            foreach (var volume in store.List(ResourceType.Volumes)) ReconcileVolume(store, volume);
        }
    }

    private void ReconcileClaim(FakeKubeApi api, JsonObject claim)
    {
        var store = api.Store;
        var ns = claim.Namespace();
        if (claim.IsDeleting())
        {
            if (!MountingPods(store, ns, claim.Name()).Any())
                store.Mutate(ResourceType.Claims, ns, claim.Name(), c => c.SetFinalizers(c.Finalizers().Where(f => f != ClaimProtection)));
            return;
        }
        if (claim.Str("status.phase") == "Bound")
        {
            if (store.Get(ResourceType.Volumes, null, claim.Str("spec.volumeName") ?? "") is null)
                store.Mutate(ResourceType.Claims, ns, claim.Name(), c => c.Set("status.phase", "Lost"));
            return;
        }

        if (claim.Str("spec.volumeName") is { Length: > 0 } volumeName)
        {
            if (store.Get(ResourceType.Volumes, null, volumeName) is { } volume && CanBind(volume, claim)) Bind(store, volume, claim, byController: false);
            return;
        }

        var available = store.List(ResourceType.Volumes).FirstOrDefault(v => v.At("spec.claimRef") is null && v.Str("status.phase") == "Available" && CanBind(v, claim));
        if (available is not null)
        {
            Bind(store, available, claim, byController: true);
            return;
        }

        var className = claim.Str("spec.storageClassName");
        if (string.IsNullOrEmpty(className) || store.Get(ResourceType.StorageClasses, null, className) is not { } storageClass) return;
        if (storageClass.Str("volumeBindingMode") == "WaitForFirstConsumer" && !MountingPods(store, ns, claim.Name()).Any()) return;
        var provisioner = storageClass.Str("provisioner") ?? "";
        var modes = Modes(claim.At("spec.accessModes"));
        if (SingleAttachProvisioners.Contains(provisioner) && modes.Any(m => m is "ReadWriteMany" or "ReadOnlyMany"))
        {
            FakeEvents.Emit(api, ResourceType.Claims, claim, "Warning", "ProvisioningFailed",
                $"failed to provision volume with StorageClass \"{className}\": rpc error: code = InvalidArgument desc = Volume capabilities not supported", provisioner);
            return;
        }
        var volumeObject = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = "pvc-" + claim.Uid(),
                ["annotations"] = new JsonObject { ["pv.kubernetes.io/provisioned-by"] = provisioner },
            },
            ["spec"] = new JsonObject
            {
                ["capacity"] = new JsonObject { ["storage"] = claim.Str("spec.resources.requests.storage") ?? "1Gi" },
                ["accessModes"] = claim.At("spec.accessModes")?.DeepClone(),
                ["persistentVolumeReclaimPolicy"] = storageClass.Str("reclaimPolicy") ?? "Delete",
                ["storageClassName"] = className,
                ["volumeMode"] = claim.Str("spec.volumeMode") ?? "Filesystem",
                ["csi"] = new JsonObject { ["driver"] = provisioner, ["volumeHandle"] = Guid.NewGuid().ToString() },
                ["claimRef"] = ClaimRef(claim),
            },
        };
        var created = store.Create(ResourceType.Volumes, null, volumeObject);
        Bind(store, created, claim, byController: true);
    }

    private static void ReconcileVolume(ObjectStore store, JsonObject volume)
    {
        var name = volume.Name();
        var phase = volume.Str("status.phase");
        if (volume.IsDeleting())
        {
            if (phase != "Bound")
                store.Mutate(ResourceType.Volumes, null, name, v => v.SetFinalizers(v.Finalizers().Where(f => f != VolumeProtection)));
            return;
        }
        var claimRef = volume.At("spec.claimRef");
        if (claimRef is null)
        {
            if (phase != "Available") store.Mutate(ResourceType.Volumes, null, name, v => v.Set("status.phase", "Available"));
            return;
        }
        var uid = claimRef.Str("uid");
        if (string.IsNullOrEmpty(uid)) return; // pre-bound to a claim that may not exist yet
        var claim = store.Get(ResourceType.Claims, claimRef.Str("namespace"), claimRef.Str("name") ?? "");
        if (claim is not null && claim.Uid() == uid) return;
        if (phase is "Released" or "Failed") return;
        if (volume.Str("spec.persistentVolumeReclaimPolicy") == "Delete")
        {
            // The provisioner deletes the volume, and with it the data.
            store.Mutate(ResourceType.Volumes, null, name, v => v.Set("status.phase", "Released"));
            store.Delete(ResourceType.Volumes, null, name);
            store.Mutate(ResourceType.Volumes, null, name, v => v.SetFinalizers([]));
            return;
        }
        store.Mutate(ResourceType.Volumes, null, name, v => v.Set("status.phase", "Released"));
    }

    private static bool CanBind(JsonObject volume, JsonObject claim)
    {
        if (volume.IsDeleting()) return false;
        if (volume.At("spec.claimRef") is { } claimRef)
        {
            if (claimRef.Str("namespace") != claim.Namespace() || claimRef.Str("name") != claim.Name()) return false;
            if (claimRef.Str("uid") is { Length: > 0 } uid && uid != claim.Uid()) return false;
        }
        else if (volume.Str("status.phase") is not ("Available" or null))
        {
            return false;
        }
        if ((volume.Str("spec.storageClassName") ?? "") != (claim.Str("spec.storageClassName") ?? "")) return false;
        var offered = Modes(volume.At("spec.accessModes"));
        if (!Modes(claim.At("spec.accessModes")).All(offered.Contains)) return false;
        return Obj.Bytes(volume.Str("spec.capacity.storage")) >= Obj.Bytes(claim.Str("spec.resources.requests.storage"));
    }

    private static void Bind(ObjectStore store, JsonObject volume, JsonObject claim, bool byController)
    {
        store.Mutate(ResourceType.Volumes, null, volume.Name(), v =>
        {
            v.Set("spec.claimRef", ClaimRef(claim));
            v.Set("status.phase", "Bound");
        });
        store.Mutate(ResourceType.Claims, claim.Namespace(), claim.Name(), c =>
        {
            c.Set("spec.volumeName", volume.Name());
            c.SetAnnotation("pv.kubernetes.io/bind-completed", "yes");
            if (byController) c.SetAnnotation("pv.kubernetes.io/bound-by-controller", "yes");
            c["status"] = new JsonObject
            {
                ["phase"] = "Bound",
                ["accessModes"] = volume.At("spec.accessModes")?.DeepClone(),
                ["capacity"] = volume.At("spec.capacity")?.DeepClone(),
            };
        });
    }

    private static JsonObject ClaimRef(JsonObject claim) => new()
    {
        ["kind"] = "PersistentVolumeClaim",
        ["namespace"] = claim.Namespace(),
        ["name"] = claim.Name(),
        ["uid"] = claim.Uid(),
        ["apiVersion"] = "v1",
        ["resourceVersion"] = claim.ResourceVersion(),
    };

    private static List<string> Modes(JsonNode? modes) => modes is JsonArray a ? [.. a.Select(m => (string?)m ?? "")] : [];

    /// <summary>Pods that mount the claim and have not finished (what pvc-protection waits for).</summary>
    public static IEnumerable<JsonObject> MountingPods(ObjectStore store, string ns, string claim) =>
        store.List(ResourceType.Pods, ns).Where(p =>
            p.Str("status.phase") is not ("Succeeded" or "Failed") && Obj.ClaimNames(p["spec"]).Contains(claim));
}
