using RwxGuard.Policies;
using RwxGuard.Domain;

namespace RwxGuard.Tests.Infrastructure;

/// <summary>Small builders for the domain records used across policy tests.</summary>
public static class Objects
{
    public const string Ns = "ai";

    public static ClaimInfo Claim(string name, AccessModes spec, AccessModes status = AccessModes.None, bool bound = false,
        string? storageClass = null, Dictionary<string, string>? labels = null) => new()
    {
        Namespace = Ns,
        Name = name,
        SpecModes = spec,
        StatusModes = status,
        Bound = bound,
        StorageClassName = storageClass,
        Labels = labels ?? [],
    };

    public static WorkloadInfo Workload(string name, int? replicas, params string[] claims) =>
        Workload(WorkloadKind.Deployment, name, replicas, claims);

    public static WorkloadInfo Workload(WorkloadKind kind, string name, int? replicas, params string[] claims) => new()
    {
        Kind = kind,
        Namespace = Ns,
        Name = name,
        Replicas = replicas,
        Strategy = kind == WorkloadKind.Deployment ? new RolloutStrategy("Recreate", null) : null,
        Template = new PodTemplateInfo { ClaimNames = claims },
    };

    public static HpaInfo Hpa(string name, string target, int max, string kind = "Deployment") => new()
    {
        Namespace = Ns,
        Name = name,
        TargetApiVersion = "apps/v1",
        TargetKind = kind,
        TargetName = target,
        MaxReplicas = max,
    };

    public static PodTemplateInfo AnythingLlmTemplate(string claim, Dictionary<string, string?>? env = null) => new()
    {
        ClaimNames = [claim],
        Labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "anythingllm" },
        Containers = [new ContainerInfo { Image = "mintplexlabs/anythingllm:1.16.0", Env = env ?? [] }],
    };
}
