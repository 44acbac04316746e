using System.Text.Json;
using k8s;
using k8s.Models;
using RwxGuard.Admission;
using RwxGuard.Domain;
using RwxGuard.Mapping;
using RwxGuard.Policies;
using RwxGuard.Tests.Cluster;

namespace RwxGuard.Tests.Mapping;

/// <summary>
/// Kubernetes objects → domain records, on objects captured from real API servers and real charts. Every case runs
/// through both adapters (<see cref="BothAdapters"/>), so admission, the cluster view, the reporter and the audit CLI
/// cannot read the same object two ways.
/// </summary>
public sealed class MappingTests
{
    private static List<object> FromChart(string file) =>
        KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "anythingllm", file)));

    /// <summary>The table: captured objects of every kind the policies read, through both adapters.</summary>
    [Theory]
    [InlineData("kw-deployment-create-replicas3-v1req.json", WorkloadKind.Deployment)]
    [InlineData("kw-deployment-create-2024-v1req.json", WorkloadKind.Deployment)]
    [InlineData("datree-deployment-create-replicas2-v1.json", WorkloadKind.Deployment)]
    [InlineData("whorf-deployment-create-replicas1-v1.json", WorkloadKind.Deployment)]
    [InlineData("kw-statefulset-create-vct-replicas3-v1req.json", WorkloadKind.StatefulSet)]
    [InlineData("kw-replicaset-create-replicas2-v1req.json", WorkloadKind.ReplicaSet)]
    public void Captured_workloads_map_the_same_through_every_adapter(string file, WorkloadKind kind)
    {
        var workload = BothAdapters.Workload(kind, BothAdapters.FromCapture(file));

        Assert.Equal(kind, workload.Kind);
        Assert.NotEmpty(workload.Template.Containers);
    }

    [Fact]
    public void Captured_claim_maps_the_same_through_every_adapter()
    {
        var claim = BothAdapters.Claim(BothAdapters.FromCapture("kw-pvc-create-rwo-storageclass-fast-v1req.json"));

        Assert.Equal(AccessModes.ReadWriteOnce, claim.SpecModes);
        Assert.Equal("fast", claim.StorageClassName);
    }

    [Fact]
    public void StatefulSet_volumeClaimTemplates_are_per_pod_and_never_listed()
    {
        var json = BothAdapters.FromCapture("kw-statefulset-create-vct-replicas3-v1req.json");
        Assert.NotEmpty(KubernetesJson.Deserialize<V1StatefulSet>(json).Spec.VolumeClaimTemplates); // the capture really has per-pod storage

        var workload = BothAdapters.Workload(WorkloadKind.StatefulSet, json);

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

        Assert.Equal(["shared", "archive"], BothAdapters.Workload(WorkloadKind.StatefulSet, KubernetesJson.Serialize(statefulSet)).Template.ClaimNames);
    }

    [Fact]
    public void Defaulted_Deployment_keeps_replicas_and_the_servers_strategy()
    {
        var workload = BothAdapters.Workload(WorkloadKind.Deployment, BothAdapters.FromCapture("kw-deployment-create-replicas3-v1req.json"));

        Assert.Equal(3, workload.Replicas);
        Assert.Equal(new RolloutStrategy("RollingUpdate", "25%"), workload.Strategy);
        Assert.Null(workload.ControllerOwner);
        // Only the pod template labels a policy reads are kept.
        Assert.Empty(workload.Template.Labels);
    }

    [Fact]
    public void Replicas_are_as_sent_null_when_absent()
    {
        var absent = BothAdapters.Workload(WorkloadKind.Deployment, Json.Deployment("ai", "a", "1", replicas: null, ["c"]));
        var zero = BothAdapters.Workload(WorkloadKind.Deployment, Json.Deployment("ai", "a", "1", replicas: 0, ["c"]));

        Assert.Null(absent.Replicas);
        Assert.Equal(1, absent.EffectiveReplicas);
        Assert.Equal(0, zero.Replicas);
        Assert.Equal(0, zero.EffectiveReplicas);
        Assert.Null(BothAdapters.Workload(WorkloadKind.ReplicaSet, Json.ReplicaSet("ai", "r", "1", null, [], null)).Replicas);
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
        var workload = BothAdapters.Workload(WorkloadKind.Deployment, Json.Deployment("ai", "a", "1", 1, ["c"], strategy: strategy));

        Assert.Equal(new RolloutStrategy(type, maxSurge), workload.Strategy);
    }

    [Fact]
    public void Controller_owner_is_the_ownerReference_with_controller_true()
    {
        var replicaSet = KubernetesJson.Deserialize<V1ReplicaSet>(Json.ReplicaSet("ai", "anythingllm-7f9c6b5d4", "1", 2, ["storage"], "anythingllm"));
        replicaSet.Metadata.OwnerReferences.Insert(0, new V1OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = "not-the-controller", Uid = "uid-1", Controller = false });
        var deploymentUid = replicaSet.Metadata.OwnerReferences[1].Uid;

        var workload = BothAdapters.Workload(WorkloadKind.ReplicaSet, KubernetesJson.Serialize(replicaSet));

        Assert.Equal(new OwnerInfo("apps/v1", "Deployment", "anythingllm", deploymentUid), workload.ControllerOwner);
        Assert.Equal((int?)2, workload.Replicas);
        Assert.Null(workload.Strategy);
        Assert.Null(BothAdapters.Workload(WorkloadKind.ReplicaSet, BothAdapters.FromCapture("kw-replicaset-create-replicas2-v1req.json")).ControllerOwner);
    }

    /// <summary>
    /// The case the two mappers used to disagree on: the init container sets DATABASE_URL to SQLite, the main container
    /// to PostgreSQL. Main containers come first, so what the pod runs is read before what prepares it.
    /// </summary>
    [Fact]
    public void Containers_main_first_with_their_own_environment()
    {
        var deployment = KubernetesJson.Deserialize<V1Deployment>(Json.Deployment("ai", "a", "1", 1, ["c"], image: "mintplexlabs/anythingllm:1.8.4"));
        var spec = deployment.Spec.Template.Spec;
        spec.Containers.Add(new V1Container
        {
            Name = "sidecar",
            Image = "busybox:1.36",
            Env =
            [
                new V1EnvVar { Name = "DATABASE_URL", Value = "postgresql://user:secret@db:5432/anythingllm" },
                new V1EnvVar { Name = "DB_PASSWORD", ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Key = "password", Name = "db" } } },
                new V1EnvVar { Name = "STORAGE_DIR", Value = "/elsewhere" },
            ],
            EnvFrom = [new V1EnvFromSource { ConfigMapRef = new V1ConfigMapEnvSource { Name = "settings" } }],
        });
        spec.InitContainers = [new V1Container { Name = "migrate", Image = "mintplexlabs/anythingllm:1.8.4", Env = [new V1EnvVar { Name = "DATABASE_URL", Value = "file:../storage/anythingllm.db" }] }];

        var template = BothAdapters.Workload(WorkloadKind.Deployment, KubernetesJson.Serialize(deployment)).Template;

        Assert.Equal(["mintplexlabs/anythingllm:1.8.4", "busybox:1.36", "mintplexlabs/anythingllm:1.8.4"], template.Images);
        Assert.Equal([false, false, true], template.Containers.Select(c => c.Init));
        // Only the scheme of a connection string is held: never the password.
        Assert.Equal("postgresql:", template.Containers[1].Env[EnvironmentRead.DatabaseUrl]);
        Assert.Equal("file:", template.Containers[2].Env[EnvironmentRead.DatabaseUrl]);
        // Only what a policy reads is held: the view carries every workload of the cluster.
        Assert.Equal([EnvironmentRead.DatabaseUrl], template.Containers[1].Env.Keys);
        Assert.Equal([false, true, false], template.Containers.Select(c => c.HasEnvFrom));
        // The server container decides (its image keeps SQLite), not the sidecar that sets a PostgreSQL URL.
        Assert.Equal(DatabaseUse.MainImageSqlite, AnythingLlmStores.Database(AnythingLlm.Servers(template).Single()));
    }

    [Fact]
    public void An_empty_DATABASE_URL_is_kept_as_empty_and_is_no_database()
    {
        var deployment = KubernetesJson.Deserialize<V1Deployment>(Json.Deployment("ai", "a", "1", 1, ["c"], image: "mintplexlabs/anythingllm:1.8.4"));
        deployment.Spec.Template.Spec.Containers[0].Env = [new V1EnvVar { Name = "DATABASE_URL", Value = "" }];

        var template = BothAdapters.Workload(WorkloadKind.Deployment, KubernetesJson.Serialize(deployment)).Template;

        Assert.Equal("", template.Containers[0].Env[EnvironmentRead.DatabaseUrl]);
        Assert.Equal(DatabaseUse.MainImageSqlite, AnythingLlmStores.Database(template.Containers[0]));
    }

    [Fact]
    public void A_DATABASE_URL_from_a_secret_is_set_but_not_visible()
    {
        var deployment = KubernetesJson.Deserialize<V1Deployment>(Json.Deployment("ai", "a", "1", 1, ["c"], image: "mintplexlabs/anythingllm:1.8.4"));
        deployment.Spec.Template.Spec.Containers[0].Env =
            [new V1EnvVar { Name = "DATABASE_URL", ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Key = "url", Name = "db" } } }];

        var env = BothAdapters.Workload(WorkloadKind.Deployment, KubernetesJson.Serialize(deployment)).Template.Containers[0].Env;

        Assert.True(env.ContainsKey(EnvironmentRead.DatabaseUrl));
        Assert.Null(env[EnvironmentRead.DatabaseUrl]);
    }

    [Fact]
    public void Claims_under_admission_keep_every_annotation_claims_in_the_view_only_the_mutated_one()
    {
        var json = Json.Claim("ai", "storage", "7", ["ReadWriteMany"], phase: "Bound");
        var model = KubernetesJson.Deserialize<V1PersistentVolumeClaim>(json);
        model.Metadata.Annotations[WellKnown.MutatedAnnotation] = "accessModes ReadWriteOnce→ReadWriteMany";
        json = KubernetesJson.Serialize(model);

        var admitted = BothAdapters.Claim(json);
        // The view maps through the minimal shapes (ShapeMapping), as it decodes them.
        var cached = ShapeMapping.ToClaim(JsonSerializer.Deserialize(json, AdmissionJsonContext.Default.ClaimObject)!, null, null, Retention.Cached);

        Assert.True(admitted.Annotations.Count > 1);
        Assert.Equal("accessModes ReadWriteOnce→ReadWriteMany", cached.Annotations[WellKnown.MutatedAnnotation]);
        Assert.Equal([WellKnown.MutatedAnnotation], cached.Annotations.Keys);
    }

    [Fact]
    public void Records_in_the_view_are_bounded_and_say_so()
    {
        var deployment = KubernetesJson.Deserialize<V1Deployment>(Json.Deployment("ai", "huge", "1", 2,
            [.. Enumerable.Range(0, 300).Select(i => $"claim-{i}")]));
        deployment.Spec.Template.Spec.Containers = [.. Enumerable.Range(0, 300).Select(i => new V1Container { Name = $"c{i}", Image = $"image-{i}" })];
        var claim = KubernetesJson.Deserialize<V1PersistentVolumeClaim>(Json.Claim("ai", "labelled", "7", ["ReadWriteOnce"]));
        claim.Metadata.Labels = Enumerable.Range(0, 1000).ToDictionary(i => $"label-{i}", i => "x");

        // The view maps through the minimal shapes (ShapeMapping), as it decodes them.
        var cached = ShapeMapping.ToWorkload(WorkloadKind.Deployment,
            JsonSerializer.Deserialize(KubernetesJson.Serialize(deployment), AdmissionJsonContext.Default.WorkloadObject)!, null, null, Retention.Cached).Template;
        var admitted = BothAdapters.Workload(WorkloadKind.Deployment, KubernetesJson.Serialize(deployment)).Template;

        Assert.Equal(Retention.Cached.MaxItems, cached.ClaimNames.Count);
        Assert.Equal(Retention.Cached.MaxItems, cached.Containers.Count);
        Assert.True(cached.Truncated);
        Assert.Equal(Retention.Cached.MaxItems, ShapeMapping.ToClaim(
            JsonSerializer.Deserialize(KubernetesJson.Serialize(claim), AdmissionJsonContext.Default.ClaimObject)!, null, null, Retention.Cached).Labels.Count);
        // Under admission nothing is cut: the object is decided once, whole.
        Assert.Equal(300, admitted.ClaimNames.Count);
        Assert.False(admitted.Truncated);
    }

    /// <summary>
    /// The view keeps of a Deployment's ReplicaSet (a Deployment keeps up to ten old ones, each with the whole template)
    /// only what identifies it and the claims it mounts: it is decided through its Deployment. Any other ReplicaSet,
    /// and every ReplicaSet under admission, keeps its containers.
    /// </summary>
    [Fact]
    public void A_deployments_replicaset_in_the_view_keeps_its_claims_and_owner_but_not_its_containers()
    {
        var owned = JsonSerializer.Deserialize(Json.ReplicaSet("ai", "anythingllm-7f9c6b5d4", "1", 2, ["storage"], "anythingllm"),
            AdmissionJsonContext.Default.WorkloadObject)!;
        var standalone = JsonSerializer.Deserialize(Json.ReplicaSet("ai", "standalone", "1", 2, ["storage"], null),
            AdmissionJsonContext.Default.WorkloadObject)!;

        var cached = ShapeMapping.ToWorkload(WorkloadKind.ReplicaSet, owned, null, null, Retention.Cached);
        var admitted = ShapeMapping.ToWorkload(WorkloadKind.ReplicaSet, owned, null, null);

        Assert.Equal(["storage"], cached.Template.ClaimNames);
        Assert.Empty(cached.Template.Containers);
        Assert.Equal(("apps/v1", "Deployment", "anythingllm"), (cached.ControllerOwner!.ApiVersion, cached.ControllerOwner.Kind, cached.ControllerOwner.Name));
        Assert.NotEmpty(admitted.Template.Containers);
        Assert.NotEmpty(ShapeMapping.ToWorkload(WorkloadKind.ReplicaSet, standalone, null, null, Retention.Cached).Template.Containers);
    }

    [Fact]
    public void Bound_claim_reports_the_volumes_modes_pending_claim_its_request()
    {
        var bound = BothAdapters.Claim(Json.Claim("ai", "storage", "7", ["ReadWriteOnce", "ReadWriteOncePod"], phase: "Bound",
            statusModes: ["ReadWriteMany"], storageClass: "efs-sc", labels: new Dictionary<string, string> { ["app.kubernetes.io/name"] = "anythingllm" }));
        var pending = BothAdapters.Claim(Json.Claim("ai", "p", "8", ["ReadWriteMany"]));

        Assert.True(bound.Bound);
        Assert.Equal(AccessModes.ReadWriteOnce | AccessModes.ReadWriteOncePod, bound.SpecModes);
        Assert.Equal(AccessModes.ReadWriteMany, bound.StatusModes);
        Assert.False(bound.IsSingleAttach);
        Assert.Equal("efs-sc", bound.StorageClassName);
        Assert.StartsWith("pvc-", bound.VolumeName);
        Assert.Equal("anythingllm", bound.Labels["app.kubernetes.io/name"]);
        Assert.False(bound.HasDataSource);

        Assert.False(pending.Bound);
        Assert.Equal(AccessModes.None, pending.StatusModes);
        Assert.Equal(AccessModes.ReadWriteMany, pending.EffectiveModes);
        Assert.Null(pending.VolumeName);
    }

    [Fact]
    public void Restores_and_clones_have_a_data_source()
    {
        var restore = BothAdapters.Claim(Json.Claim("ai", "restored", "9", ["ReadWriteOnce"], dataSourceRefSnapshot: "nightly"));
        var refOnly = KubernetesJson.Deserialize<V1PersistentVolumeClaim>(Json.Claim("ai", "clone", "9", ["ReadWriteOnce"]));
        refOnly.Spec.DataSourceRef = new V1TypedObjectReference { Kind = "PersistentVolumeClaim", Name = "source" };

        Assert.True(restore.HasDataSource);
        Assert.True(BothAdapters.Claim(KubernetesJson.Serialize(refOnly)).HasDataSource);
    }

    [Fact]
    public void Autoscaler_v2_and_storage_class()
    {
        var hpa = BothAdapters.Autoscaler(Json.Autoscaler("ai", "web", "3", "Deployment", "anythingllm", 2, 5));
        var storageClass = ModelMapping.ToStorageClass(KubernetesJson.Deserialize<V1StorageClass>(Json.StorageClass("gp3", "4", "ebs.csi.aws.com", isDefault: true)));

        Assert.Equal(("ai", "web", "apps/v1", "Deployment", "anythingllm", 5),
            (hpa.Namespace, hpa.Name, hpa.TargetApiVersion, hpa.TargetKind, hpa.TargetName, hpa.MaxReplicas));
        Assert.Equal(WorkloadKind.Deployment, hpa.Target);
        Assert.Equal(("gp3", "ebs.csi.aws.com", true), (storageClass.Name, storageClass.Provisioner, storageClass.IsDefault));
    }

    [Fact]
    public void Official_helm_chart_manifests_as_the_audit_CLI_loads_them()
    {
        var objects = FromChart("official-helm-chart-rendered.yaml");
        var claim = BothAdapters.Claim(KubernetesJson.Serialize(objects.OfType<V1PersistentVolumeClaim>().Single()));
        var workload = BothAdapters.Workload(WorkloadKind.Deployment, KubernetesJson.Serialize(objects.OfType<V1Deployment>().Single()));

        Assert.Equal(("ai", "anythingllm-storage-claim", AccessModes.ReadWriteOnce, (string?)null), (claim.Namespace, claim.Name, claim.EffectiveModes, claim.StorageClassName));
        Assert.True(claim.IsSingleAttach);
        Assert.Equal((WorkloadKind.Deployment, (int?)2), (workload.Kind, workload.Replicas));
        Assert.Equal(new RolloutStrategy("Recreate", null), workload.Strategy);
        Assert.Equal(["anythingllm-storage-claim"], workload.Template.ClaimNames);
        Assert.Equal("anythingllm", workload.Template.Labels["app.kubernetes.io/name"]);
        Assert.True(workload.Template.Containers.Single().HasEnvFrom);
        Assert.Equal(["mintplexlabs/anythingllm:1.16.0"], workload.Template.Images);
        Assert.Null(ModelMapping.ToWorkload(objects.OfType<V1PersistentVolumeClaim>().Single()));
    }

    [Fact]
    public void Official_raw_manifest_surge_zero_and_default_sqlite()
    {
        var deployment = FromChart("official-raw-manifest.yaml").OfType<V1Deployment>().Single();
        var workload = BothAdapters.Workload(WorkloadKind.Deployment, KubernetesJson.Serialize(deployment));

        Assert.Equal(new RolloutStrategy("RollingUpdate", "0%"), workload.Strategy);
        Assert.Equal(["anything-llm-volume-claim"], workload.Template.ClaimNames);
        // The manifest sets no DATABASE_URL: AnythingLLM's default SQLite.
        Assert.DoesNotContain(workload.Template.Containers, c => c.Env.ContainsKey(EnvironmentRead.DatabaseUrl));
        Assert.Equal(DatabaseUse.MainImageSqlite, AnythingLlmStores.Database(AnythingLlm.Servers(workload.Template).Single()));
        Assert.Equal(VectorUse.LanceDbDefault, AnythingLlmStores.VectorDatabase(AnythingLlm.Servers(workload.Template).Single()));
        Assert.DoesNotContain(workload.Template.Containers, c => c.HasEnvFrom);
        Assert.Equal(1, workload.Replicas);
    }

    [Fact]
    public void DaemonSet_maps_through_both_adapters_with_no_replicas_and_no_strategy()
    {
        var json = Json.DaemonSet("logging", "collector", "12", ["spool", "spool", "shared"], image: "registry.example/mintplexlabs/anythingllm:pg");

        var workload = BothAdapters.Workload(WorkloadKind.DaemonSet, json);

        Assert.Equal((WorkloadKind.DaemonSet, "logging", "collector", (int?)null, (RolloutStrategy?)null),
            (workload.Kind, workload.Namespace, workload.Name, workload.Replicas, workload.Strategy));
        Assert.Equal(["spool", "shared"], workload.Template.ClaimNames);
        Assert.True(AnythingLlm.IsAnythingLlm(workload.Template)); // by image, behind a registry prefix
        Assert.True(AnythingLlm.IsPgImage(workload.Template.Images.Single()));
        Assert.NotNull(workload.Uid);
    }

    /// <summary>A DaemonSet has no spec.replicas: a request carrying one anyway (hand-written, hostile) does not give it a
    /// replica count, in either adapter.</summary>
    [Fact]
    public void A_replicas_field_on_a_DaemonSet_is_not_a_replica_count()
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(Json.DaemonSet("logging", "collector", "12", ["spool"]))!;
        node["spec"]!["replicas"] = 5;

        Assert.Null(BothAdapters.Workload(WorkloadKind.DaemonSet, node.ToJsonString()).Replicas);
    }

    public static TheoryData<string, string?, bool, string?> VectorDbCases => new()
    {
        // VECTOR_DB as the manifest sets it ("omit": not in env; "from-secret": valueFrom), envFrom set?, value held
        { "lancedb", null, false, "lancedb" },
        { "pgvector", null, false, "pgvector" },
        { "", null, false, "" },
        { "from-secret", null, false, null },
        { "omit", null, true, "(absent)" },
        { "x", new string('q', 100), false, new string('q', 64) },
    };

    /// <summary>VECTOR_DB, as the LanceDB rule reads it, through both adapters: the value, unseen (valueFrom), or absent.</summary>
    [Theory]
    [MemberData(nameof(VectorDbCases))]
    public void VECTOR_DB_is_held_the_same_through_both_adapters(string setting, string? longValue, bool envFrom, string? held)
    {
        var deployment = KubernetesJson.Deserialize<V1Deployment>(Json.Deployment("ai", "a", "1", 2, ["c"], image: "mintplexlabs/anythingllm:1.8.4"));
        var container = deployment.Spec.Template.Spec.Containers[0];
        container.Env = [new V1EnvVar { Name = "STORAGE_DIR", Value = "/app/server/storage" }];
        if (setting == "from-secret")
            container.Env.Add(new V1EnvVar { Name = "VECTOR_DB", ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = "llm", Key = "vector-db" } } });
        else if (setting != "omit")
            container.Env.Add(new V1EnvVar { Name = "VECTOR_DB", Value = longValue ?? setting });
        if (envFrom) container.EnvFrom = [new V1EnvFromSource { ConfigMapRef = new V1ConfigMapEnvSource { Name = "anythingllm-config" } }];

        var server = BothAdapters.Workload(WorkloadKind.Deployment, KubernetesJson.Serialize(deployment)).Template.Containers.Single();

        if (held == "(absent)") Assert.False(server.Env.ContainsKey(EnvironmentRead.VectorDb));
        else Assert.Equal(held, server.Env[EnvironmentRead.VectorDb]);
        Assert.Equal(envFrom, server.HasEnvFrom);
        Assert.DoesNotContain("STORAGE_DIR", server.Env.Keys); // not a variable any rule reads
        var expected = setting switch
        {
            "lancedb" => VectorUse.LanceDbSet,
            "" => VectorUse.LanceDbDefault,
            "from-secret" => VectorUse.FromKey,
            "omit" => VectorUse.FromEnvFrom,
            _ => VectorUse.External,
        };
        Assert.Equal(expected, AnythingLlmStores.VectorDatabase(server));
    }
}
