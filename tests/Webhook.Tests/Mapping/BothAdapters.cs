using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using RwxGuard.Admission;
using RwxGuard.Domain;
using RwxGuard.Mapping;

namespace RwxGuard.Tests.Mapping;

/// <summary>
/// One object through every adapter of the mapping: the minimal shapes admission decodes (<see cref="ShapeMapping"/>)
/// and KubernetesClient's models that the cluster view and <c>webhook audit</c> load (<see cref="ModelMapping"/>). Each
/// helper asserts that both give the same record (compared field by field, collections included) and returns it.
/// </summary>
internal static class BothAdapters
{
    public static WorkloadInfo Workload(WorkloadKind kind, string json)
    {
        var shape = ShapeMapping.ToWorkload(kind, JsonSerializer.Deserialize(json, AdmissionJsonContext.Default.WorkloadObject)!, null, null);
        var model = kind switch
        {
            WorkloadKind.Deployment => ModelMapping.ToWorkload(KubernetesJson.Deserialize<V1Deployment>(json)),
            WorkloadKind.StatefulSet => ModelMapping.ToWorkload(KubernetesJson.Deserialize<V1StatefulSet>(json)),
            WorkloadKind.DaemonSet => ModelMapping.ToWorkload(KubernetesJson.Deserialize<V1DaemonSet>(json)),
            _ => ModelMapping.ToWorkload(KubernetesJson.Deserialize<V1ReplicaSet>(json)),
        };
        return Same(shape, model);
    }

    public static ClaimInfo Claim(string json) => Same(
        ShapeMapping.ToClaim(JsonSerializer.Deserialize(json, AdmissionJsonContext.Default.ClaimObject)!, null, null),
        ModelMapping.ToClaim(KubernetesJson.Deserialize<V1PersistentVolumeClaim>(json)));

    public static HpaInfo Autoscaler(string json) => Same(
        ShapeMapping.ToHpa(JsonSerializer.Deserialize(json, AdmissionJsonContext.Default.HpaObject)!, null, null),
        ModelMapping.ToHpa(KubernetesJson.Deserialize<V2HorizontalPodAutoscaler>(json)));

    /// <summary>The object of a captured AdmissionReview (or of a bare request).</summary>
    public static string FromCapture(string file)
    {
        var capture = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "admission", file)))!;
        return (capture["request"] ?? capture)["object"]!.ToJsonString();
    }

    /// <summary>Records hold lists and dictionaries, which record equality compares by reference: compare their JSON.</summary>
    private static T Same<T>(T fromShape, T fromModel)
    {
        var a = Describe(fromShape);
        var b = Describe(fromModel);
        Assert.True(a == b, $"the adapters disagree:\n shapes: {a}\n models: {b}");
        return fromShape;
    }

    public static string Describe<T>(T record) => JsonSerializer.Serialize(record);
}
