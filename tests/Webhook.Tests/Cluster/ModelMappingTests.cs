using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using RwxGuard.Cluster;
using RwxGuard.Options;
using RwxGuard.Policies;
using RwxGuard.Domain;

namespace RwxGuard.Tests.Cluster;

/// <summary>KubernetesClient models → domain records, on objects captured from real API servers and real charts.</summary>
public sealed class ModelMappingTests
{
    private static T FromCapture<T>(string file)
    {
        var capture = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "admission", file)))!;
        var request = capture["request"] ?? capture;
        return KubernetesJson.Deserialize<T>(request["object"]!.ToJsonString());
    }

    private static List<object> FromChart(string file) =>
        KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "anythingllm", file)));

    [Fact]
    public void StatefulSet_volumeClaimTemplates_are_per_pod_and_never_listed()
    {
        var statefulSet = FromCapture<V1StatefulSet>("kw-statefulset-create-vct-replicas3-v1req.json");
        Assert.NotEmpty(statefulSet.Spec.VolumeClaimTemplates); // the capture really has per-pod storage

        var workload = ModelMapping.ToWorkload(statefulSet);

        Assert.Equal((WorkloadKind.StatefulSet, "default", "foo", (int?)3), (workload.Kind, workload.Namespace, workload.Name, workload.Replicas));
        Assert.Empty(workload.Template.ClaimNames);
        Assert.Null(workload.Strategy);
        Assert.Equal(["registry.k8s.io/nginx-slim:0.8"], workload.Template.Images);
    }

    [Fact]
    public void Generic_ephemeral_volumes_are_per_pod_and_only_claimName_volumes_are_shared()
    {
        var statefulSet = KubernetesJson.Deserialize<V1StatefulSet>(Json.StatefulSet("data", "db", "5", 2, ["shared", "shared", "archive"], ["pgdata"]));
        statefulSet.Spec.Template.Spec.Volumes.Add(new V1Volume
        {
            Name = "scratch",
            Ephemeral = new V1EphemeralVolumeSource
            {
                VolumeClaimTemplate = new V1PersistentVolumeClaimTemplate
                {
                    Spec = new V1PersistentVolumeClaimSpec { AccessModes = ["ReadWriteOnce"] },
                },
            },
        });

        Assert.Equal(["shared", "archive"], ModelMapping.ToWorkload(statefulSet).Template.ClaimNames);
    }

    [Fact]
    public void Defaulted_Deployment_keeps_replicas_and_the_servers_strategy()
    {
        var workload = ModelMapping.ToWorkload(FromCapture<V1Deployment>("kw-deployment-create-replicas3-v1req.json"));

        Assert.Equal(3, workload.Replicas);
        Assert.Equal(new RolloutStrategy("RollingUpdate", "25%"), workload.Strategy);
        Assert.Equal("api", workload.Template.Labels["app"]);
        Assert.Equal("1", workload.Labels["customer-id"]);
        Assert.Null(workload.ControllerOwner);
    }

    [Fact]
    public void Replicas_are_as_sent_null_when_absent()
    {
        var absent = KubernetesJson.Deserialize<V1Deployment>(Json.Deployment("ai", "a", "1", replicas: null, ["c"]));
        var zero = KubernetesJson.Deserialize<V1Deployment>(Json.Deployment("ai", "a", "1", replicas: 0, ["c"]));

        Assert.Null(ModelMapping.ToWorkload(absent).Replicas);
        Assert.Equal(1, ModelMapping.ToWorkload(absent).EffectiveReplicas);
        Assert.Equal(0, ModelMapping.ToWorkload(zero).Replicas);
        Assert.Equal(0, ModelMapping.ToWorkload(zero).EffectiveReplicas);
        Assert.Null(ModelMapping.ToWorkload(KubernetesJson.Deserialize<V1ReplicaSet>(Json.ReplicaSet("ai", "r", "1", null, [], null))).Replicas);
    }

    [Theory]
    [InlineData("omit", "RollingUpdate", "25%")]
    [InlineData("""{"type":"RollingUpdate"}""", "RollingUpdate", "25%")]
    [InlineData("""{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":0}}""", "RollingUpdate", "25%")]
    [InlineData("""{"rollingUpdate":{"maxSurge":1}}""", "RollingUpdate", "1")]
    [InlineData("""{"type":"RollingUpdate","rollingUpdate":{"maxSurge":0,"maxUnavailable":1}}""", "RollingUpdate", "0")]
    [InlineData("""{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"50%"}}""", "RollingUpdate", "50%")]
    [InlineData("""{"type":"Recreate"}""", "Recreate", null)]
    public void Deployment_strategy_defaults(string strategy, string type, string? maxSurge)
    {
        var deployment = KubernetesJson.Deserialize<V1Deployment>(Json.Deployment("ai", "a", "1", 1, ["c"], strategy: strategy));

        Assert.Equal(new RolloutStrategy(type, maxSurge), ModelMapping.ToWorkload(deployment).Strategy);
    }

    [Fact]
    public void Controller_owner_is_the_ownerReference_with_controller_true()
    {
        var replicaSet = KubernetesJson.Deserialize<V1ReplicaSet>(Json.ReplicaSet("ai", "anythingllm-7f9c6b5d4", "1", 2, ["storage"], "anythingllm"));
        replicaSet.Metadata.OwnerReferences.Insert(0, new V1OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = "not-the-controller", Uid = "uid-1", Controller = false });

        var workload = ModelMapping.ToWorkload(replicaSet);

        Assert.Equal(new OwnerInfo("Deployment", "anythingllm"), workload.ControllerOwner);
        Assert.Equal((int?)2, workload.Replicas);
        Assert.Null(workload.Strategy);
        Assert.Null(ModelMapping.ToWorkload(FromCapture<V1ReplicaSet>("kw-replicaset-create-replicas2-v1req.json")).ControllerOwner);
    }

    [Fact]
    public void Pod_template_images_env_and_envFrom_from_every_container()
    {
        var deployment = KubernetesJson.Deserialize<V1Deployment>(Json.Deployment("ai", "a", "1", 1, ["c"], image: "mintplexlabs/anythingllm:1.8.4"));
        var spec = deployment.Spec.Template.Spec;
        spec.Containers.Add(new V1Container
        {
            Name = "sidecar",
            Image = "busybox:1.36",
            Env =
            [
                new V1EnvVar { Name = "DATABASE_URL", Value = "postgresql://db:5432/anythingllm" },
                new V1EnvVar { Name = "DB_PASSWORD", ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Key = "password", Name = "db" } } },
                new V1EnvVar { Name = "STORAGE_DIR", Value = "/elsewhere" },
            ],
            EnvFrom = [new V1EnvFromSource { ConfigMapRef = new V1ConfigMapEnvSource { Name = "settings" } }],
        });
        // Main containers before init containers: the sidecar's value wins.
        spec.InitContainers = [new V1Container { Name = "migrate", Image = "mintplexlabs/anythingllm:1.8.4", Env = [new V1EnvVar { Name = "DATABASE_URL", Value = "file:../storage/anythingllm.db" }] }];

        var template = ModelMapping.ToWorkload(deployment).Template;

        Assert.Equal(["mintplexlabs/anythingllm:1.8.4", "busybox:1.36"], template.Images);
        Assert.Equal("postgresql://db:5432/anythingllm", template.Env["DATABASE_URL"]);
        // Only what a policy reads is held: the view carries every workload of the cluster.
        Assert.Equal(["DATABASE_URL"], template.Env.Keys);
        Assert.True(template.HasEnvFrom);
        Assert.False(ModelMapping.ToWorkload(KubernetesJson.Deserialize<V1Deployment>(Json.Deployment("ai", "a", "1", 1, []))).Template.HasEnvFrom);
    }

    [Fact]
    public void A_DATABASE_URL_from_a_secret_is_not_a_literal_value()
    {
        var deployment = KubernetesJson.Deserialize<V1Deployment>(Json.Deployment("ai", "a", "1", 1, ["c"], image: "mintplexlabs/anythingllm:1.8.4"));
        deployment.Spec.Template.Spec.Containers[0].Env =
            [new V1EnvVar { Name = "DATABASE_URL", ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Key = "url", Name = "db" } } }];

        Assert.False(ModelMapping.ToWorkload(deployment).Template.Env.ContainsKey("DATABASE_URL"));
    }

    [Fact]
    public void Claims_keep_the_mutated_annotation_and_drop_the_rest()
    {
        var claim = KubernetesJson.Deserialize<V1PersistentVolumeClaim>(Json.Claim("ai", "storage", "7", ["ReadWriteMany"], phase: "Bound"));
        claim.Metadata.Annotations[WellKnown.MutatedAnnotation] = "accessModes ReadWriteOnce→ReadWriteMany";

        var info = ModelMapping.ToClaim(claim);

        Assert.Equal("accessModes ReadWriteOnce→ReadWriteMany", info.Annotations[WellKnown.MutatedAnnotation]);
        Assert.Equal([WellKnown.MutatedAnnotation], info.Annotations.Keys);
    }

    [Fact]
    public void Bound_claim_reports_the_volumes_modes_pending_claim_its_request()
    {
        var bound = ModelMapping.ToClaim(KubernetesJson.Deserialize<V1PersistentVolumeClaim>(
            Json.Claim("ai", "storage", "7", ["ReadWriteOnce", "ReadWriteOncePod"], phase: "Bound", statusModes: ["ReadWriteMany"], storageClass: "efs-sc",
                labels: new Dictionary<string, string> { ["app.kubernetes.io/name"] = "anythingllm" })));
        var pending = ModelMapping.ToClaim(KubernetesJson.Deserialize<V1PersistentVolumeClaim>(Json.Claim("ai", "p", "8", ["ReadWriteMany"])));

        Assert.True(bound.Bound);
        Assert.Equal(AccessModes.ReadWriteOnce | AccessModes.ReadWriteOncePod, bound.SpecModes);
        Assert.Equal(AccessModes.ReadWriteMany, bound.StatusModes);
        Assert.False(bound.IsSingleAttach);
        Assert.Equal("efs-sc", bound.StorageClassName);
        Assert.StartsWith("pvc-", bound.VolumeName);
        Assert.Equal("anythingllm", bound.Labels["app.kubernetes.io/name"]);
        // Provisioner annotations are not held (the view carries every claim of the cluster); none is read.
        Assert.False(bound.Annotations.ContainsKey("pv.kubernetes.io/bind-completed"));
        Assert.False(bound.HasDataSource);

        Assert.False(pending.Bound);
        Assert.Equal(AccessModes.None, pending.StatusModes);
        Assert.Equal(AccessModes.ReadWriteMany, pending.EffectiveModes);
        Assert.Null(pending.VolumeName);
    }

    [Fact]
    public void Restores_and_clones_have_a_data_source()
    {
        var restore = ModelMapping.ToClaim(KubernetesJson.Deserialize<V1PersistentVolumeClaim>(
            Json.Claim("ai", "restored", "9", ["ReadWriteOnce"], dataSourceRefSnapshot: "nightly")));
        var refOnly = KubernetesJson.Deserialize<V1PersistentVolumeClaim>(Json.Claim("ai", "clone", "9", ["ReadWriteOnce"]));
        refOnly.Spec.DataSourceRef = new V1TypedObjectReference { Kind = "PersistentVolumeClaim", Name = "source" };

        Assert.True(restore.HasDataSource);
        Assert.True(ModelMapping.ToClaim(refOnly).HasDataSource);
    }

    [Fact]
    public void Autoscaler_v2_and_storage_class()
    {
        var hpa = ModelMapping.ToHpa(KubernetesJson.Deserialize<V2HorizontalPodAutoscaler>(Json.Autoscaler("ai", "web", "3", "Deployment", "anythingllm", 2, 5)));
        var storageClass = ModelMapping.ToStorageClass(KubernetesJson.Deserialize<V1StorageClass>(Json.StorageClass("gp3", "4", "ebs.csi.aws.com", isDefault: true)));

        Assert.Equal(("ai", "web", "apps/v1", "Deployment", "anythingllm", 5, (int?)2),
            (hpa.Namespace, hpa.Name, hpa.TargetApiVersion, hpa.TargetKind, hpa.TargetName, hpa.MaxReplicas, hpa.MinReplicas));
        Assert.Equal(WorkloadKind.Deployment, hpa.Target);
        Assert.Equal(("gp3", "ebs.csi.aws.com", true), (storageClass.Name, storageClass.Provisioner, storageClass.IsDefault));
        Assert.Equal("", storageClass.Labels.GetValueOrDefault("x", ""));
    }

    [Fact]
    public void Official_helm_chart_manifests_as_the_audit_CLI_loads_them()
    {
        var objects = FromChart("official-helm-chart-rendered.yaml");
        var claim = ModelMapping.ToClaim(objects.OfType<V1PersistentVolumeClaim>().Single());
        var workload = ModelMapping.ToWorkload(objects.OfType<V1Deployment>().Single());

        Assert.Equal(("ai", "anythingllm-storage-claim", AccessModes.ReadWriteOnce, (string?)null), (claim.Namespace, claim.Name, claim.EffectiveModes, claim.StorageClassName));
        Assert.True(claim.IsSingleAttach);
        Assert.Equal((WorkloadKind.Deployment, (int?)2), (workload.Kind, workload.Replicas));
        Assert.Equal(new RolloutStrategy("Recreate", null), workload.Strategy);
        Assert.Equal(["anythingllm-storage-claim"], workload.Template.ClaimNames);
        Assert.Equal("anythingllm", workload.Template.Labels["app.kubernetes.io/name"]);
        Assert.True(workload.Template.HasEnvFrom);
        Assert.Equal(["mintplexlabs/anythingllm:1.16.0"], workload.Template.Images);
        Assert.Null(ModelMapping.ToWorkload(objects.OfType<V1PersistentVolumeClaim>().Single()));
    }

    [Fact]
    public void Official_raw_manifest_surge_zero_and_default_sqlite()
    {
        var workload = FromChart("official-raw-manifest.yaml").Select(ModelMapping.ToWorkload).OfType<WorkloadInfo>().Single();

        Assert.Equal(new RolloutStrategy("RollingUpdate", "0%"), workload.Strategy);
        Assert.Equal(["anything-llm-volume-claim"], workload.Template.ClaimNames);
        // The manifest sets no DATABASE_URL: AnythingLLM's default SQLite.
        Assert.False(workload.Template.Env.ContainsKey("DATABASE_URL"));
        Assert.True(AnythingLlm.UsesDefaultSqlite(workload.Template));
        Assert.False(workload.Template.HasEnvFrom);
        Assert.Equal(1, workload.Replicas);
    }
}
