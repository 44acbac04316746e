using System.Text.Json.Nodes;

namespace RwxGuard.Benchmarks.Shape;

/// <summary>
/// The objects of the realistic shape, as templates compiled once. Shapes follow the real captures in
/// tests/Webhook.Tests/Fixtures/admission (datree's Deployment, kubewarden's ReplicaSet and StatefulSet, the PVC) and
/// AnythingLLM's manifests (its environment, probes, storage mount), with what a live object carries besides:
/// kubectl's last-applied-configuration (objects applied by users), managedFields (every writer), status with
/// conditions. ReplicaSets are written by the Deployment controller as it writes them: owner reference, pod-template-hash,
/// revision annotations, no last-applied.
/// </summary>
public static class ShapeObjects
{
    private static readonly string[] ContainerEnv =
    [
        "SERVER_PORT=8080", "STORAGE_DIR=/data", "NODE_ENV=production", "LOG_LEVEL=info", "OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector.observability:4317",
        "OTEL_SERVICE_NAME=@app@", "DATABASE_POOL_SIZE=10", "CACHE_TTL_SECONDS=300", "FEATURE_FLAGS=search,export,audit", "DISABLE_TELEMETRY=true",
    ];

    /// <summary>A pod template: an application container (environment, probes, resources, mounts), a metrics sidecar,
    /// and volumes, one of them the claim when <paramref name="claim"/>.</summary>
    public static JsonObject PodTemplate(JsonObject labels, bool claim, string mountPath = "/data", string? claimHole = "@claim@")
    {
        var env = new JsonArray();
        foreach (var pair in ContainerEnv)
        {
            var (name, value) = (pair[..pair.IndexOf('=')], pair[(pair.IndexOf('=') + 1)..]);
            env.Add(new JsonObject { ["name"] = name, ["value"] = value });
        }
        env.Add(new JsonObject
        {
            ["name"] = "POD_NAME",
            ["valueFrom"] = new JsonObject { ["fieldRef"] = new JsonObject { ["apiVersion"] = "v1", ["fieldPath"] = "metadata.name" } },
        });
        JsonObject Probe(string path, int delay) => new()
        {
            ["httpGet"] = new JsonObject { ["path"] = path, ["port"] = 8080, ["scheme"] = "HTTP" },
            ["initialDelaySeconds"] = delay, ["timeoutSeconds"] = 5, ["periodSeconds"] = 10, ["successThreshold"] = 1, ["failureThreshold"] = 3,
        };
        var mounts = new JsonArray(new JsonObject { ["name"] = "tmp", ["mountPath"] = "/tmp" },
            new JsonObject { ["name"] = "config", ["mountPath"] = "/etc/app", ["readOnly"] = true });
        if (claim) mounts.Add(new JsonObject { ["name"] = "data", ["mountPath"] = mountPath });
        var volumes = new JsonArray(
            new JsonObject { ["name"] = "tmp", ["emptyDir"] = new JsonObject() },
            new JsonObject { ["name"] = "config", ["configMap"] = new JsonObject { ["name"] = "@app@-config", ["defaultMode"] = 420 } });
        if (claim && claimHole is not null)
            volumes.Add(new JsonObject { ["name"] = "data", ["persistentVolumeClaim"] = new JsonObject { ["claimName"] = claimHole } });
        return new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["creationTimestamp"] = null,
                ["labels"] = labels,
                ["annotations"] = new JsonObject { ["kubectl.kubernetes.io/restartedAt"] = "2026-08-14T07:30:00Z", ["prometheus.io/scrape"] = "true", ["prometheus.io/port"] = "9102" },
            },
            ["spec"] = new JsonObject
            {
                ["volumes"] = volumes,
                ["containers"] = new JsonArray(
                    new JsonObject
                    {
                        ["name"] = "app",
                        ["image"] = "@image@",
                        ["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["containerPort"] = 8080, ["protocol"] = "TCP" }),
                        ["env"] = env,
                        ["resources"] = new JsonObject
                        {
                            ["limits"] = new JsonObject { ["cpu"] = "1", ["memory"] = "1Gi" },
                            ["requests"] = new JsonObject { ["cpu"] = "100m", ["memory"] = "256Mi" },
                        },
                        ["volumeMounts"] = mounts,
                        ["livenessProbe"] = Probe("/healthz", 30),
                        ["readinessProbe"] = Probe("/readyz", 5),
                        ["terminationMessagePath"] = "/dev/termination-log",
                        ["terminationMessagePolicy"] = "File",
                        ["imagePullPolicy"] = "IfNotPresent",
                        ["securityContext"] = new JsonObject
                        {
                            ["allowPrivilegeEscalation"] = false, ["readOnlyRootFilesystem"] = true, ["runAsNonRoot"] = true,
                            ["capabilities"] = new JsonObject { ["drop"] = new JsonArray("ALL") },
                        },
                    },
                    new JsonObject
                    {
                        ["name"] = "metrics",
                        ["image"] = "quay.io/prometheus/statsd-exporter:v0.28.0",
                        ["args"] = new JsonArray("--statsd.listen-udp=:9125", "--web.listen-address=:9102"),
                        ["ports"] = new JsonArray(new JsonObject { ["name"] = "metrics", ["containerPort"] = 9102, ["protocol"] = "TCP" }),
                        ["resources"] = new JsonObject
                        {
                            ["limits"] = new JsonObject { ["cpu"] = "100m", ["memory"] = "64Mi" },
                            ["requests"] = new JsonObject { ["cpu"] = "10m", ["memory"] = "32Mi" },
                        },
                        ["terminationMessagePath"] = "/dev/termination-log",
                        ["terminationMessagePolicy"] = "File",
                        ["imagePullPolicy"] = "IfNotPresent",
                    }),
                ["restartPolicy"] = "Always",
                ["terminationGracePeriodSeconds"] = 30,
                ["dnsPolicy"] = "ClusterFirst",
                ["serviceAccountName"] = "@app@",
                ["serviceAccount"] = "@app@",
                ["securityContext"] = new JsonObject { ["runAsUser"] = 1000, ["runAsGroup"] = 1000, ["fsGroup"] = 1000 },
                ["schedulerName"] = "default-scheduler",
                ["topologySpreadConstraints"] = new JsonArray(new JsonObject
                {
                    ["maxSkew"] = 1, ["topologyKey"] = "topology.kubernetes.io/zone", ["whenUnsatisfiable"] = "ScheduleAnyway",
                    ["labelSelector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = "@app@" } },
                }),
            },
        };
    }

    /// <summary>metadata as the API server returns it: name, namespace, uid, resourceVersion (holes), generation,
    /// creationTimestamp, labels, then <paramref name="more"/> (annotations, ownerReferences, finalizers).</summary>
    private static JsonObject Metadata(string created, JsonObject labels, int? generation, params (string Key, JsonNode? Value)[] more)
    {
        var metadata = new JsonObject { ["name"] = "@name@", ["namespace"] = "@ns@", ["uid"] = "@uid@", ["resourceVersion"] = "@rv@" };
        if (generation is { } g) metadata["generation"] = g;
        metadata["creationTimestamp"] = created;
        metadata["labels"] = labels;
        foreach (var (key, value) in more) metadata[key] = value;
        return metadata;
    }

    private static JsonObject Labels(params (string Key, string Value)[] pairs)
    {
        var labels = new JsonObject();
        foreach (var (key, value) in pairs) labels[key] = value;
        return labels;
    }

    private static JsonObject Condition(string type, string reason, string message, string time, bool updateTime = true)
    {
        var condition = new JsonObject { ["type"] = type, ["status"] = "True" };
        if (updateTime) condition["lastUpdateTime"] = time;
        condition["lastTransitionTime"] = time;
        condition["reason"] = reason;
        condition["message"] = message;
        return condition;
    }

    private static readonly string[] UserPaths = ["metadata.annotations", "metadata.labels", "spec"];

    // ---- Deployment -------------------------------------------------------------------------------------------------

    public static readonly string[] DeploymentHoles = ["name", "ns", "uid", "rv", "replicas", "claim", "image", "hash", "team", "app"];

    public static string Deployment(bool claim)
    {
        var obj = new JsonObject
        {
            ["metadata"] = Metadata("2025-11-03T09:12:44Z", Labels(("app", "@name@"), ("app.kubernetes.io/name", "@name@"), ("app.kubernetes.io/part-of", "@team@"), ("environment", "prod")), 4,
                ("annotations", new JsonObject { ["deployment.kubernetes.io/revision"] = "4" })),
            ["spec"] = new JsonObject
            {
                ["replicas"] = "#replicas#",
                ["selector"] = new JsonObject { ["matchLabels"] = Labels(("app", "@name@")) },
                ["template"] = PodTemplate(Labels(("app", "@name@"), ("app.kubernetes.io/name", "@name@")), claim),
                ["strategy"] = new JsonObject { ["type"] = claim ? "Recreate" : "RollingUpdate" },
                ["revisionHistoryLimit"] = 10,
                ["progressDeadlineSeconds"] = 600,
            },
        };
        if (!claim) obj["spec"]!["strategy"]!["rollingUpdate"] = new JsonObject { ["maxUnavailable"] = "25%", ["maxSurge"] = "25%" };
        ObjectBuilder.AddLastApplied(obj, "apps/v1", "Deployment");
        obj["status"] = new JsonObject
        {
            ["observedGeneration"] = 4, ["replicas"] = "#replicas#", ["updatedReplicas"] = "#replicas#", ["readyReplicas"] = "#replicas#",
            ["availableReplicas"] = "#replicas#",
            ["conditions"] = new JsonArray(
                Condition("Available", "MinimumReplicasAvailable", "Deployment has minimum availability.", "2026-08-14T07:31:02Z"),
                Condition("Progressing", "NewReplicaSetAvailable", "ReplicaSet \"@name@-@hash@\" has successfully progressed.", "2026-08-14T07:31:02Z")),
        };
        return ObjectBuilderBody(obj, "apps/v1",
            ("kubectl-client-side-apply", null, "2026-08-14T07:30:00Z", UserPaths),
            ("kube-controller-manager", "status", "2026-08-14T07:31:02Z", ["status"]));
    }

    // ---- ReplicaSets ------------------------------------------------------------------------------------------------

    public static readonly string[] OwnedReplicaSetHoles = ["name", "ns", "uid", "rv", "replicas", "claim", "image", "hash", "app", "owner", "revision", "created", "team"];

    /// <summary>A ReplicaSet as the Deployment controller writes it: the Deployment's template with pod-template-hash,
    /// owned by the Deployment (controller: true), its revision in annotations, no last-applied.</summary>
    public static string OwnedReplicaSet(bool claim)
    {
        var podLabels = Labels(("app", "@app@"), ("app.kubernetes.io/name", "@app@"), ("pod-template-hash", "@hash@"));
        var obj = new JsonObject
        {
            ["metadata"] = Metadata("@created@", podLabels.DeepClone().AsObject(), 2,
                ("annotations", new JsonObject
                {
                    ["deployment.kubernetes.io/desired-replicas"] = "#replicas#",
                    ["deployment.kubernetes.io/max-replicas"] = "#replicas#",
                    ["deployment.kubernetes.io/revision"] = "@revision@",
                }),
                ("ownerReferences", new JsonArray(new JsonObject
                {
                    ["apiVersion"] = "apps/v1", ["kind"] = "Deployment", ["name"] = "@app@", ["uid"] = "@owner@",
                    ["controller"] = true, ["blockOwnerDeletion"] = true,
                }))),
            ["spec"] = new JsonObject
            {
                ["replicas"] = "#replicas#",
                ["selector"] = new JsonObject { ["matchLabels"] = Labels(("app", "@app@"), ("pod-template-hash", "@hash@")) },
                ["template"] = PodTemplate(podLabels, claim),
            },
            ["status"] = new JsonObject
            {
                ["replicas"] = "#replicas#", ["fullyLabeledReplicas"] = "#replicas#", ["readyReplicas"] = "#replicas#",
                ["availableReplicas"] = "#replicas#", ["observedGeneration"] = 2,
            },
        };
        // The annotations hold numbers as strings: "#replicas#" there must stay a string.
        var text = ObjectBuilderBody(obj, "apps/v1",
            ("kube-controller-manager", null, "2026-08-14T07:30:01Z", ["metadata.annotations", "metadata.labels", "metadata.ownerReferences", "spec"]),
            ("kube-controller-manager", "status", "2026-08-14T07:31:02Z", ["status"]));
        return text.Replace("\"deployment.kubernetes.io/desired-replicas\":\"#replicas#\"", "\"deployment.kubernetes.io/desired-replicas\":\"@replicas@\"")
            .Replace("\"deployment.kubernetes.io/max-replicas\":\"#replicas#\"", "\"deployment.kubernetes.io/max-replicas\":\"@replicas@\"");
    }

    public static readonly string[] StandaloneReplicaSetHoles = ["name", "ns", "uid", "rv", "image", "team", "app"];

    /// <summary>A ReplicaSet applied by hand (kubewarden's capture): no owner, 2 replicas, no claim.</summary>
    public static string StandaloneReplicaSet()
    {
        var obj = new JsonObject
        {
            ["metadata"] = Metadata("2025-12-09T16:20:00Z", Labels(("app", "@name@"), ("app.kubernetes.io/part-of", "@team@")), 1),
            ["spec"] = new JsonObject
            {
                ["replicas"] = 2,
                ["selector"] = new JsonObject { ["matchLabels"] = Labels(("app", "@name@")) },
                ["template"] = PodTemplate(Labels(("app", "@name@")), claim: false),
            },
        };
        ObjectBuilder.AddLastApplied(obj, "apps/v1", "ReplicaSet");
        obj["status"] = new JsonObject { ["replicas"] = 2, ["fullyLabeledReplicas"] = 2, ["readyReplicas"] = 2, ["availableReplicas"] = 2, ["observedGeneration"] = 1 };
        return ObjectBuilderBody(obj, "apps/v1",
            ("kubectl-client-side-apply", null, "2025-12-09T16:20:00Z", UserPaths),
            ("kube-controller-manager", "status", "2025-12-09T16:20:31Z", ["status"]));
    }

    // ---- StatefulSet, DaemonSet ----------------------------------------------------------------------------------------

    public static readonly string[] StatefulSetHoles = ["name", "ns", "uid", "rv", "image", "team", "app"];

    /// <summary>A database StatefulSet (kubewarden's capture's shape): 1 replica, a per-pod RWO claim template "data".</summary>
    public static string StatefulSet()
    {
        var obj = new JsonObject
        {
            ["metadata"] = Metadata("2025-10-21T11:02:17Z", Labels(("app", "@name@"), ("app.kubernetes.io/name", "postgresql"), ("app.kubernetes.io/instance", "@name@"), ("app.kubernetes.io/part-of", "@team@")), 3),
            ["spec"] = new JsonObject
            {
                ["replicas"] = 1,
                ["selector"] = new JsonObject { ["matchLabels"] = Labels(("app", "@name@")) },
                ["template"] = PodTemplate(Labels(("app", "@name@"), ("app.kubernetes.io/name", "postgresql")), claim: true, "/var/lib/postgresql/data", claimHole: null),
                ["volumeClaimTemplates"] = new JsonArray(new JsonObject
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "PersistentVolumeClaim",
                    ["metadata"] = new JsonObject { ["name"] = "data", ["creationTimestamp"] = null },
                    ["spec"] = new JsonObject
                    {
                        ["accessModes"] = new JsonArray("ReadWriteOnce"),
                        ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["storage"] = "20Gi" } },
                        ["storageClassName"] = "gp3",
                        ["volumeMode"] = "Filesystem",
                    },
                    ["status"] = new JsonObject { ["phase"] = "Pending" },
                }),
                ["serviceName"] = "@name@-headless",
                ["podManagementPolicy"] = "OrderedReady",
                ["updateStrategy"] = new JsonObject { ["type"] = "RollingUpdate", ["rollingUpdate"] = new JsonObject { ["partition"] = 0 } },
                ["revisionHistoryLimit"] = 10,
                ["persistentVolumeClaimRetentionPolicy"] = new JsonObject { ["whenDeleted"] = "Retain", ["whenScaled"] = "Retain" },
            },
        };
        ObjectBuilder.AddLastApplied(obj, "apps/v1", "StatefulSet");
        obj["status"] = new JsonObject
        {
            ["observedGeneration"] = 3, ["replicas"] = 1, ["readyReplicas"] = 1, ["currentReplicas"] = 1, ["updatedReplicas"] = 1,
            ["currentRevision"] = "@name@-7c9d8f6b5d", ["updateRevision"] = "@name@-7c9d8f6b5d", ["collisionCount"] = 0, ["availableReplicas"] = 1,
        };
        return ObjectBuilderBody(obj, "apps/v1",
            ("kubectl-client-side-apply", null, "2026-03-02T08:45:10Z", UserPaths),
            ("kube-controller-manager", "status", "2026-03-02T08:46:40Z", ["status"]));
    }

    public static readonly string[] DaemonSetHoles = ["name", "ns", "uid", "rv", "image", "team", "app"];

    /// <summary>A node agent: hostPath volumes, tolerations, no claim.</summary>
    public static string DaemonSet()
    {
        var template = PodTemplate(Labels(("app", "@name@")), claim: false);
        var spec = template["spec"]!.AsObject();
        spec["volumes"]!.AsArray().Add(new JsonObject { ["name"] = "proc", ["hostPath"] = new JsonObject { ["path"] = "/proc", ["type"] = "" } });
        spec["volumes"]!.AsArray().Add(new JsonObject { ["name"] = "sys", ["hostPath"] = new JsonObject { ["path"] = "/sys", ["type"] = "" } });
        spec["tolerations"] = new JsonArray(new JsonObject { ["operator"] = "Exists" });
        spec["hostNetwork"] = true;
        spec["priorityClassName"] = "system-node-critical";
        var obj = new JsonObject
        {
            ["metadata"] = Metadata("2025-09-30T07:00:00Z", Labels(("app", "@name@"), ("app.kubernetes.io/part-of", "@team@")), 2,
                ("annotations", new JsonObject { ["deprecated.daemonset.template.generation"] = "2" })),
            ["spec"] = new JsonObject
            {
                ["selector"] = new JsonObject { ["matchLabels"] = Labels(("app", "@name@")) },
                ["template"] = template,
                ["updateStrategy"] = new JsonObject { ["type"] = "RollingUpdate", ["rollingUpdate"] = new JsonObject { ["maxUnavailable"] = 1, ["maxSurge"] = 0 } },
                ["revisionHistoryLimit"] = 10,
            },
        };
        ObjectBuilder.AddLastApplied(obj, "apps/v1", "DaemonSet");
        obj["status"] = new JsonObject
        {
            ["currentNumberScheduled"] = 40, ["numberMisscheduled"] = 0, ["desiredNumberScheduled"] = 40, ["numberReady"] = 40,
            ["observedGeneration"] = 2, ["updatedNumberScheduled"] = 40, ["numberAvailable"] = 40,
        };
        return ObjectBuilderBody(obj, "apps/v1",
            ("kubectl-client-side-apply", null, "2026-01-12T10:00:00Z", UserPaths),
            ("kube-controller-manager", "status", "2026-01-12T10:01:00Z", ["status"]));
    }

    // ---- PersistentVolumeClaims ------------------------------------------------------------------------------------

    public static readonly string[] ClaimHoles = ["name", "ns", "uid", "rv", "mode", "class", "provisioner", "appname", "volume", "team"];

    /// <summary>A claim applied with kubectl and bound by the PV controller (the kubewarden capture's shape, live).</summary>
    /// <param name="applied">false: created by the StatefulSet controller from its template (no last-applied).</param>
    public static string Claim(bool applied)
    {
        var obj = new JsonObject
        {
            ["metadata"] = Metadata("2025-11-03T09:12:40Z", Labels(("app.kubernetes.io/name", "@appname@"), ("app.kubernetes.io/part-of", "@team@")), null,
                ("annotations", new JsonObject
                {
                    ["pv.kubernetes.io/bind-completed"] = "yes",
                    ["pv.kubernetes.io/bound-by-controller"] = "yes",
                    ["volume.beta.kubernetes.io/storage-provisioner"] = "@provisioner@",
                    ["volume.kubernetes.io/storage-provisioner"] = "@provisioner@",
                    ["volume.kubernetes.io/selected-node"] = "ip-10-0-12-34.eu-west-1.compute.internal",
                }),
                ("finalizers", new JsonArray("kubernetes.io/pvc-protection"))),
            ["spec"] = new JsonObject
            {
                ["accessModes"] = new JsonArray("@mode@"),
                ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["storage"] = "10Gi" } },
                ["storageClassName"] = "@class@",
                ["volumeMode"] = "Filesystem",
                ["volumeName"] = "@volume@",
            },
        };
        if (applied) ObjectBuilder.AddLastApplied(obj, "v1", "PersistentVolumeClaim");
        obj["status"] = new JsonObject
        {
            ["phase"] = "Bound",
            ["accessModes"] = new JsonArray("@mode@"),
            ["capacity"] = new JsonObject { ["storage"] = "10Gi" },
        };
        return ObjectBuilderBody(obj, "v1",
            (applied ? "kubectl-client-side-apply" : "kube-controller-manager", null, "2025-11-03T09:12:40Z", UserPaths),
            ("kube-controller-manager", null, "2025-11-03T09:12:41Z", ["metadata.annotations", "spec.volumeName"]),
            ("kube-controller-manager", "status", "2025-11-03T09:12:41Z", ["status"]));
    }

    // ---- HorizontalPodAutoscaler -----------------------------------------------------------------------------------

    public static readonly string[] AutoscalerHoles = ["name", "ns", "uid", "rv", "target", "team"];

    public static string Autoscaler()
    {
        JsonObject Metric(string resource, int utilization) => new()
        {
            ["type"] = "Resource",
            ["resource"] = new JsonObject { ["name"] = resource, ["target"] = new JsonObject { ["type"] = "Utilization", ["averageUtilization"] = utilization } },
        };
        JsonObject Current(string resource, int utilization, string value) => new()
        {
            ["type"] = "Resource",
            ["resource"] = new JsonObject { ["name"] = resource, ["current"] = new JsonObject { ["averageValue"] = value, ["averageUtilization"] = utilization } },
        };
        var obj = new JsonObject
        {
            ["metadata"] = Metadata("2025-11-03T09:13:00Z", Labels(("app.kubernetes.io/name", "@target@"), ("app.kubernetes.io/part-of", "@team@")), null),
            ["spec"] = new JsonObject
            {
                ["scaleTargetRef"] = new JsonObject { ["kind"] = "Deployment", ["name"] = "@target@", ["apiVersion"] = "apps/v1" },
                ["minReplicas"] = 1,
                ["maxReplicas"] = 5,
                ["metrics"] = new JsonArray(Metric("cpu", 80), Metric("memory", 85)),
                ["behavior"] = new JsonObject
                {
                    ["scaleUp"] = new JsonObject
                    {
                        ["stabilizationWindowSeconds"] = 0, ["selectPolicy"] = "Max",
                        ["policies"] = new JsonArray(new JsonObject { ["type"] = "Pods", ["value"] = 4, ["periodSeconds"] = 15 }, new JsonObject { ["type"] = "Percent", ["value"] = 100, ["periodSeconds"] = 15 }),
                    },
                    ["scaleDown"] = new JsonObject
                    {
                        ["stabilizationWindowSeconds"] = 300, ["selectPolicy"] = "Max",
                        ["policies"] = new JsonArray(new JsonObject { ["type"] = "Percent", ["value"] = 100, ["periodSeconds"] = 15 }),
                    },
                },
            },
        };
        ObjectBuilder.AddLastApplied(obj, "autoscaling/v2", "HorizontalPodAutoscaler");
        obj["status"] = new JsonObject
        {
            ["lastScaleTime"] = "2026-08-14T07:35:00Z",
            ["currentReplicas"] = 1,
            ["desiredReplicas"] = 1,
            ["currentMetrics"] = new JsonArray(Current("cpu", 12, "12m"), Current("memory", 40, "107374182")),
            ["conditions"] = new JsonArray(
                Condition("AbleToScale", "ReadyForNewScale", "recommended size matches current size", "2026-08-14T07:35:00Z", updateTime: false),
                Condition("ScalingActive", "ValidMetricFound", "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)", "2026-08-14T07:35:00Z", updateTime: false),
                Condition("ScalingLimited", "TooFewReplicas", "the desired replica count is less than the minimum replica count", "2026-08-14T07:35:00Z", updateTime: false)),
        };
        return ObjectBuilderBody(obj, "autoscaling/v2",
            ("kubectl-client-side-apply", null, "2025-11-03T09:13:00Z", UserPaths),
            ("kube-controller-manager", "status", "2026-08-14T07:35:00Z", ["status"]));
    }

    // ---- Namespace, StorageClass --------------------------------------------------------------------------------------

    public static readonly string[] NamespaceHoles = ["name", "uid", "rv", "team"];

    /// <param name="mode">The rwx-guard.io/mode label ("warn", "audit"), or none.</param>
    public static string Namespace(string? mode)
    {
        var labels = Labels(("kubernetes.io/metadata.name", "@name@"), ("team", "@team@"), ("pod-security.kubernetes.io/enforce", "baseline"));
        if (mode is not null) labels["rwx-guard.io/mode"] = mode;
        var obj = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = "@name@", ["uid"] = "@uid@", ["resourceVersion"] = "@rv@", ["creationTimestamp"] = "2025-09-30T06:00:00Z",
                ["labels"] = labels,
            },
        };
        ObjectBuilder.AddLastApplied(obj, "v1", "Namespace");
        obj["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") };
        obj["status"] = new JsonObject { ["phase"] = "Active" };
        return ObjectBuilderBody(obj, "v1", ("kubectl-client-side-apply", null, "2025-09-30T06:00:00Z", ["metadata.annotations", "metadata.labels"]));
    }

    public static readonly string[] StorageClassHoles = ["rv"];

    /// <summary>EBS gp3 (the default), EBS gp2, EFS (ReadWriteMany-capable): an EKS cluster's classes.</summary>
    public static readonly string[] StorageClasses =
    [
        StorageClass("gp3", 0, "ebs.csi.aws.com", "WaitForFirstConsumer", ("type", "gp3"), ("encrypted", "true")),
        StorageClass("gp2", 1, "kubernetes.io/aws-ebs", "WaitForFirstConsumer", ("type", "gp2"), ("fsType", "ext4")),
        StorageClass("efs-sc", 2, "efs.csi.aws.com", "Immediate", ("provisioningMode", "efs-ap"), ("fileSystemId", "fs-0123456789abcdef0"), ("directoryPerms", "700")),
    ];

    private static string StorageClass(string name, int index, string provisioner, string binding, params (string Key, string Value)[] parameters)
    {
        var metadata = new JsonObject
        {
            ["name"] = name, ["uid"] = ServedResource.Uid(index, 12), ["resourceVersion"] = "@rv@", ["creationTimestamp"] = "2025-09-30T06:00:00Z",
        };
        if (index == 0) metadata["annotations"] = new JsonObject { ["storageclass.kubernetes.io/is-default-class"] = "true" };
        return ObjectBuilder.Body(new JsonObject
        {
            ["metadata"] = metadata,
            ["provisioner"] = provisioner,
            ["parameters"] = Labels(parameters),
            ["reclaimPolicy"] = "Delete",
            ["allowVolumeExpansion"] = true,
            ["volumeBindingMode"] = binding,
        });
    }

    private static string ObjectBuilderBody(JsonObject obj, string apiVersion, params (string Manager, string? Subresource, string Time, string[] Paths)[] managers)
    {
        ObjectBuilder.AddManagedFields(obj, apiVersion, managers);
        return ObjectBuilder.Body(obj);
    }
}
