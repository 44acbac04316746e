using RwxGuard.Domain;
namespace RwxGuard.Mapping;

// Minimal shapes of the Kubernetes objects an admission request carries and the cluster view lists and watches. Only
// the fields the policies read are declared: the source-generated deserializer skips everything else (managedFields,
// status conditions, …) without allocating, which is what keeps a 12 KB Deployment cheap to decode.

/// <summary>An object shape: its metadata, whatever its kind.</summary>
public interface IObjectShape
{
    ObjectMeta? Meta { get; }
}

public class ObjectMeta
{
    public string? Name { get; set; }
    public string? ResourceVersion { get; set; }
    public string? GenerateName { get; set; }
    public string? Namespace { get; set; }
    public string? Uid { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public List<OwnerReference>? OwnerReferences { get; set; }
}

/// <summary>
/// Metadata with annotations, for claims only (the mutator reads and writes them). Workloads do without: a Deployment
/// applied with kubectl carries its whole manifest again in last-applied-configuration, and unescaping that string
/// would be most of the cost of decoding the object.
/// </summary>
public sealed class AnnotatedObjectMeta : ObjectMeta
{
    public Dictionary<string, string>? Annotations { get; set; }
}

public sealed class OwnerReference
{
    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public string? Name { get; set; }
    public string? Uid { get; set; }
    public bool? Controller { get; set; }
}

/// <summary>apps/v1 Deployment, StatefulSet, ReplicaSet or DaemonSet (whose spec has no replicas and no strategy).</summary>
public sealed class WorkloadObject : IObjectShape
{
    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public ObjectMeta? Metadata { get; set; }
    ObjectMeta? IObjectShape.Meta => Metadata;
    public WorkloadSpec? Spec { get; set; }
}

public sealed class WorkloadSpec
{
    public int? Replicas { get; set; }
    public DeploymentStrategy? Strategy { get; set; }
    public PodTemplate? Template { get; set; }
}

public sealed class DeploymentStrategy
{
    public string? Type { get; set; }
    public RollingUpdateDeployment? RollingUpdate { get; set; }
}

public sealed class RollingUpdateDeployment
{
    [System.Text.Json.Serialization.JsonConverter(typeof(IntOrStringConverter))]
    public string? MaxSurge { get; set; }
}

public sealed class PodTemplate
{
    public ObjectMeta? Metadata { get; set; }
    public PodSpec? Spec { get; set; }
}

public sealed class PodSpec
{
    public List<Volume>? Volumes { get; set; }
    public List<Container>? Containers { get; set; }
    public List<Container>? InitContainers { get; set; }
}

public sealed class Volume
{
    public string? Name { get; set; }
    public ClaimVolumeSource? PersistentVolumeClaim { get; set; }
}

public sealed class ClaimVolumeSource
{
    public string? ClaimName { get; set; }
}

public sealed class Container
{
    public string? Image { get; set; }
    public List<EnvVar>? Env { get; set; }
    public List<EnvFromSource>? EnvFrom { get; set; }
}

public sealed class EnvVar
{
    public string? Name { get; set; }
    public string? Value { get; set; }
    public EnvVarSource? ValueFrom { get; set; }
}

/// <summary>Only its presence matters: a value from a Secret, ConfigMap or field cannot be seen from admission.</summary>
public sealed class EnvVarSource;

/// <summary>Only its presence matters: values from ConfigMaps cannot be seen from admission.</summary>
public sealed class EnvFromSource;

/// <summary>autoscaling/v1 Scale, what /scale subresource requests carry.</summary>
public sealed class ScaleObject : IObjectShape
{
    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public ObjectMeta? Metadata { get; set; }
    ObjectMeta? IObjectShape.Meta => Metadata;
    public ScaleSpec? Spec { get; set; }
}

public sealed class ScaleSpec
{
    public int? Replicas { get; set; }
}

/// <summary>v1 PersistentVolumeClaim.</summary>
public sealed class ClaimObject : IObjectShape
{
    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public AnnotatedObjectMeta? Metadata { get; set; }
    ObjectMeta? IObjectShape.Meta => Metadata;
    public ClaimSpec? Spec { get; set; }
    public ClaimStatus? Status { get; set; }
}

public sealed class ClaimSpec
{
    public List<string>? AccessModes { get; set; }
    public string? StorageClassName { get; set; }
    public string? VolumeName { get; set; }
    public TypedReference? DataSource { get; set; }
    public TypedReference? DataSourceRef { get; set; }
}

public sealed class ClaimStatus
{
    public string? Phase { get; set; }
    public List<string>? AccessModes { get; set; }
}

public sealed class TypedReference
{
    public string? ApiGroup { get; set; }
    public string? Kind { get; set; }
    public string? Name { get; set; }
}

/// <summary>autoscaling/v1 or v2 HorizontalPodAutoscaler: the fields rwx-guard reads are the same in both.</summary>
public sealed class HpaObject : IObjectShape
{
    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public ObjectMeta? Metadata { get; set; }
    ObjectMeta? IObjectShape.Meta => Metadata;
    public HpaSpec? Spec { get; set; }
}

public sealed class HpaSpec
{
    public CrossVersionObjectReference? ScaleTargetRef { get; set; }
    public int? MinReplicas { get; set; }
    public int? MaxReplicas { get; set; }
}

public sealed class CrossVersionObjectReference
{
    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public string? Name { get; set; }
}

/// <summary>storage.k8s.io/v1 StorageClass.</summary>
public sealed class StorageClassObject : IObjectShape
{
    public AnnotatedObjectMeta? Metadata { get; set; }
    public string? Provisioner { get; set; }
    ObjectMeta? IObjectShape.Meta => Metadata;
}

/// <summary>v1 Namespace: its labels (where cluster admins set the enforcement mode).</summary>
public sealed class NamespaceObject : IObjectShape
{
    public ObjectMeta? Metadata { get; set; }
    ObjectMeta? IObjectShape.Meta => Metadata;
}
