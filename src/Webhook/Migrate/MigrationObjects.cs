using System.Reflection;
using k8s.Models;
using RwxGuard.Domain;

namespace RwxGuard.Migrate;

/// <summary>The objects a migration creates, built from its state alone (so a resumed run builds the same ones).</summary>
public static class MigrationObjects
{
    public const string ManagedBy = "rwx-guard";
    public const string ComponentLabel = "app.kubernetes.io/component";

    /// <summary>Annotations the API server or a provisioner wrote about the old binding; a new claim must not carry them.</summary>
    private static readonly string[] BindingAnnotations =
    [
        "pv.kubernetes.io/bind-completed", "pv.kubernetes.io/bound-by-controller", "volume.beta.kubernetes.io/storage-provisioner",
        "volume.kubernetes.io/storage-provisioner", "volume.kubernetes.io/selected-node", "volume.beta.kubernetes.io/storage-class",
    ];

    /// <summary>The claim's annotations minus the binding bookkeeping and the migration's own.</summary>
    public static IReadOnlyDictionary<string, string> KeptAnnotations(IDictionary<string, string>? annotations) =>
        (annotations ?? new Dictionary<string, string>())
        .Where(a => !BindingAnnotations.Contains(a.Key) && !a.Key.StartsWith(MigrationAnnotations.Prefix, StringComparison.Ordinal))
        .ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);

    /// <summary>The copy script (src/Webhook/Migrate/copy.sh), embedded in the binary.</summary>
    public static string CopyScript { get; } = ReadScript();

    public static V1PersistentVolumeClaim TemporaryClaim(MigrationState s) => new()
    {
        ApiVersion = "v1",
        Kind = "PersistentVolumeClaim",
        Metadata = new V1ObjectMeta
        {
            Name = s.TemporaryClaim,
            NamespaceProperty = s.Namespace,
            Labels = Labels("temporary-claim"),
            Annotations = new Dictionary<string, string> { [MigrationAnnotations.TemporaryFor] = s.Claim },
        },
        Spec = new V1PersistentVolumeClaimSpec
        {
            AccessModes = ["ReadWriteMany"],
            StorageClassName = s.TargetClass,
            VolumeMode = s.OriginalClaim.VolumeMode,
            Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new(s.Size) } },
        },
    };

    /// <summary>
    /// The claim of the original name on the new volume: the original's labels and annotations (Helm's ownership
    /// included), ReadWriteMany on the target class, pinned to the new volume with <c>volumeName</c> (so the mutating
    /// webhook leaves it alone: a pinned claim is never changed again).
    /// </summary>
    public static V1PersistentVolumeClaim MigratedClaim(MigrationState s, string volume)
    {
        var annotations = new Dictionary<string, string>(s.OriginalClaim.Annotations) { [MigrationAnnotations.State] = s.ToJson() };
        return new V1PersistentVolumeClaim
        {
            ApiVersion = "v1",
            Kind = "PersistentVolumeClaim",
            Metadata = new V1ObjectMeta { Name = s.Claim, NamespaceProperty = s.Namespace, Labels = Copy(s.OriginalClaim.Labels), Annotations = annotations },
            Spec = new V1PersistentVolumeClaimSpec
            {
                AccessModes = ["ReadWriteMany"],
                StorageClassName = s.TargetClass,
                VolumeMode = s.OriginalClaim.VolumeMode,
                VolumeName = volume,
                Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new(s.Size) } },
            },
        };
    }

    /// <summary>The original claim as it was, on the original volume (rollback).</summary>
    public static V1PersistentVolumeClaim OriginalClaim(MigrationState s) => new()
    {
        ApiVersion = "v1",
        Kind = "PersistentVolumeClaim",
        Metadata = new V1ObjectMeta { Name = s.Claim, NamespaceProperty = s.Namespace, Labels = Copy(s.OriginalClaim.Labels), Annotations = Copy(s.OriginalClaim.Annotations) },
        Spec = new V1PersistentVolumeClaimSpec
        {
            AccessModes = [.. s.OriginalClaim.AccessModes],
            StorageClassName = s.OriginalClaim.StorageClassName,
            VolumeMode = s.OriginalClaim.VolumeMode,
            VolumeName = s.OriginalVolume,
            Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new(s.OriginalClaim.Size) } },
        },
    };

    /// <summary>
    /// The copy Job: one pod, no retries (a failed copy is looked at, not repeated blindly), both claims mounted (the
    /// source read-only), the embedded script, and a security context that passes the namespace's Pod Security level.
    /// </summary>
    public static V1Job CopyJob(MigrationState s)
    {
        var security = s.Security;
        var container = new V1SecurityContext
        {
            AllowPrivilegeEscalation = false,
            SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
        };
        var pod = new V1PodSecurityContext { SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" } };
        if (security.AsRoot)
        {
            // Root keeps every owner; tar needs CHOWN, FOWNER and DAC_OVERRIDE (the defaults) to do so.
            pod.RunAsUser = 0;
        }
        else
        {
            pod.RunAsNonRoot = true;
            pod.RunAsUser = security.RunAsUser;
            pod.RunAsGroup = security.RunAsGroup;
            pod.FsGroup = security.FsGroup;
            container.Capabilities = new V1Capabilities { Drop = ["ALL"] };
        }
        var labels = Labels("copy");
        labels[MigrationAnnotations.Prefix + "claim"] = s.Claim;
        return new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = new V1ObjectMeta
            {
                Name = s.CopyJob,
                NamespaceProperty = s.Namespace,
                Labels = labels,
                Annotations = new Dictionary<string, string> { [MigrationAnnotations.TemporaryFor] = s.Claim },
            },
            Spec = new V1JobSpec
            {
                BackoffLimit = 0,
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string>(labels) },
                    Spec = new V1PodSpec
                    {
                        RestartPolicy = "Never",
                        AutomountServiceAccountToken = false,
                        SecurityContext = pod,
                        Containers =
                        [
                            new V1Container
                            {
                                Name = "copy",
                                Image = s.CopyImage,
                                Command = ["sh", "-c", CopyScript],
                                Env =
                                [
                                    new V1EnvVar { Name = "SRC", Value = "/source" },
                                    new V1EnvVar { Name = "DST", Value = "/target" },
                                    new V1EnvVar { Name = "PROGRESS_SECONDS", Value = "5" },
                                ],
                                VolumeMounts =
                                [
                                    new V1VolumeMount { Name = "source", MountPath = "/source", ReadOnlyProperty = true },
                                    new V1VolumeMount { Name = "target", MountPath = "/target" },
                                ],
                                Resources = new V1ResourceRequirements
                                {
                                    Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m"), ["memory"] = new("64Mi") },
                                    Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("256Mi") },
                                },
                                SecurityContext = container,
                            },
                        ],
                        Volumes =
                        [
                            new V1Volume { Name = "source", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = s.Claim, ReadOnlyProperty = true } },
                            new V1Volume { Name = "target", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = s.TemporaryClaim } },
                        ],
                    },
                },
            },
        };
    }

    public static Dictionary<string, object> Snapshot(MigrationState s) => new()
    {
        ["apiVersion"] = "snapshot.storage.k8s.io/v1",
        ["kind"] = "VolumeSnapshot",
        ["metadata"] = new Dictionary<string, object>
        {
            ["name"] = s.Snapshot!,
            ["namespace"] = s.Namespace,
            ["labels"] = Labels("backup"),
            ["annotations"] = new Dictionary<string, string> { [MigrationAnnotations.TemporaryFor] = s.Claim },
        },
        ["spec"] = new Dictionary<string, object> { ["source"] = new Dictionary<string, string> { ["persistentVolumeClaimName"] = s.Claim } },
    };

    private static Dictionary<string, string> Labels(string component) => new()
    {
        ["app.kubernetes.io/name"] = "rwx-guard-migrate",
        ["app.kubernetes.io/managed-by"] = ManagedBy,
        [ComponentLabel] = component,
    };

    private static Dictionary<string, string>? Copy(IReadOnlyDictionary<string, string> source) =>
        source.Count == 0 ? null : new Dictionary<string, string>(source, StringComparer.Ordinal);

    private static string ReadScript()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("RwxGuard.Migrate.copy.sh")
                           ?? throw new InvalidOperationException("the copy script is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
