using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace RwxGuard.Tests.Cluster;

/// <summary>
/// Objects shaped the way kube-apiserver returns them (defaulted fields, uid, finalizers, status), list envelopes,
/// watch event lines and Status errors.
/// </summary>
public static class Json
{
    public static string List(ApiResource resource, string resourceVersion, IEnumerable<string>? items = null, string? continueToken = null)
    {
        var metadata = new JsonObject { ["resourceVersion"] = resourceVersion };
        if (continueToken is not null)
        {
            metadata["continue"] = continueToken;
            metadata["remainingItemCount"] = 3;
        }
        return new JsonObject
        {
            ["kind"] = resource.ListKind,
            ["apiVersion"] = resource.ApiVersion,
            ["metadata"] = metadata,
            ["items"] = new JsonArray([.. (items ?? []).Select(i => JsonNode.Parse(i))]),
        }.ToJsonString();
    }

    public static string List(ApiResource resource, string resourceVersion, params string[] items) => List(resource, resourceVersion, items, null);

    public static string Event(string type, string obj) => $$"""{"type":"{{type}}","object":{{obj}}}""";

    public static string Added(string obj) => Event("ADDED", obj);
    public static string Modified(string obj) => Event("MODIFIED", obj);
    public static string Deleted(string obj) => Event("DELETED", obj);

    /// <summary>A BOOKMARK: only the kind, apiVersion and metadata.resourceVersion (plus the initial-events annotation
    /// the apiserver adds), exactly as it is streamed.</summary>
    public static string Bookmark(string kind, string apiVersion, string resourceVersion) =>
        Event("BOOKMARK", $$$"""{"kind":"{{{kind}}}","apiVersion":"{{{apiVersion}}}","metadata":{"resourceVersion":"{{{resourceVersion}}}","creationTimestamp":null}}""");

    /// <summary>A watch ERROR event carrying a Status, like "too old resource version".</summary>
    public static string ErrorEvent(int code, string reason, string message) => Event("ERROR", Status(code, reason, message));

    public static string Status(int code, string reason, string message) =>
        new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
            ["code"] = code,
        }.ToJsonString();

    public static string Claim(string ns, string name, string resourceVersion, string[] specModes, string phase = "Pending",
        string[]? statusModes = null, string storageClass = "gp3", IDictionary<string, string>? labels = null,
        string? dataSourceRefSnapshot = null)
    {
        var uid = Uid(ns, name, "pvc");
        var bound = phase == "Bound";
        var annotations = new JsonObject
        {
            ["volume.beta.kubernetes.io/storage-provisioner"] = "ebs.csi.aws.com",
            ["volume.kubernetes.io/storage-provisioner"] = "ebs.csi.aws.com",
        };
        if (bound)
        {
            annotations["pv.kubernetes.io/bind-completed"] = "yes";
            annotations["pv.kubernetes.io/bound-by-controller"] = "yes";
        }
        var spec = new JsonObject
        {
            ["accessModes"] = Strings(specModes),
            ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["storage"] = "8Gi" } },
            ["storageClassName"] = storageClass,
            ["volumeMode"] = "Filesystem",
        };
        if (bound) spec["volumeName"] = $"pvc-{uid}";
        if (dataSourceRefSnapshot is not null)
        {
            spec["dataSource"] = new JsonObject { ["apiGroup"] = "snapshot.storage.k8s.io", ["kind"] = "VolumeSnapshot", ["name"] = dataSourceRefSnapshot };
            spec["dataSourceRef"] = new JsonObject { ["apiGroup"] = "snapshot.storage.k8s.io", ["kind"] = "VolumeSnapshot", ["name"] = dataSourceRefSnapshot };
        }
        var status = new JsonObject { ["phase"] = phase };
        if (bound)
        {
            status["accessModes"] = Strings(statusModes ?? specModes);
            status["capacity"] = new JsonObject { ["storage"] = "8Gi" };
        }
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "PersistentVolumeClaim",
            ["metadata"] = new JsonObject
            {
                ["annotations"] = annotations,
                ["creationTimestamp"] = "2025-03-04T09:12:45Z",
                ["finalizers"] = Strings(["kubernetes.io/pvc-protection"]),
                ["labels"] = Labels(labels ?? new Dictionary<string, string> { ["app.kubernetes.io/name"] = name }),
                ["name"] = name,
                ["namespace"] = ns,
                ["resourceVersion"] = resourceVersion,
                ["uid"] = uid,
            },
            ["spec"] = spec,
            ["status"] = status,
        }.ToJsonString();
    }

    /// <summary>A Deployment as stored: strategy defaulted to RollingUpdate 25%/25% unless <paramref name="strategy"/> says otherwise
    /// (pass "omit" to leave spec.strategy out, as a manifest would).</summary>
    public static string Deployment(string ns, string name, string resourceVersion, int? replicas, string[] claims,
        string? strategy = null, string image = "mintplexlabs/anythingllm:1.8.4")
    {
        var spec = new JsonObject
        {
            ["progressDeadlineSeconds"] = 600,
            ["revisionHistoryLimit"] = 10,
            ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app.kubernetes.io/name"] = name } },
            ["template"] = PodTemplate(name, claims, image),
        };
        if (replicas is { } r) spec["replicas"] = r;
        if (strategy != "omit")
            spec["strategy"] = JsonNode.Parse(strategy ?? """{"rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"},"type":"RollingUpdate"}""");
        return Workload("Deployment", ns, name, resourceVersion, spec, null, new JsonObject
        {
            ["availableReplicas"] = replicas ?? 1,
            ["observedGeneration"] = 1,
            ["readyReplicas"] = replicas ?? 1,
            ["replicas"] = replicas ?? 1,
            ["updatedReplicas"] = replicas ?? 1,
        }, new JsonObject { ["deployment.kubernetes.io/revision"] = "1" });
    }

    public static string StatefulSet(string ns, string name, string resourceVersion, int? replicas, string[] claims, string[] volumeClaimTemplates)
    {
        var spec = new JsonObject
        {
            ["persistentVolumeClaimRetentionPolicy"] = new JsonObject { ["whenDeleted"] = "Retain", ["whenScaled"] = "Retain" },
            ["podManagementPolicy"] = "OrderedReady",
            ["revisionHistoryLimit"] = 10,
            ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app.kubernetes.io/name"] = name } },
            ["serviceName"] = name,
            ["template"] = PodTemplate(name, claims, "postgres:16"),
            ["updateStrategy"] = JsonNode.Parse("""{"rollingUpdate":{"partition":0},"type":"RollingUpdate"}"""),
            ["volumeClaimTemplates"] = new JsonArray([.. volumeClaimTemplates.Select(t => JsonNode.Parse($$$"""
                {"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"creationTimestamp":null,"name":"{{{t}}}"},
                 "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"10Gi"}},"volumeMode":"Filesystem"},
                 "status":{"phase":"Pending"}}
                """))]),
        };
        if (replicas is { } r) spec["replicas"] = r;
        return Workload("StatefulSet", ns, name, resourceVersion, spec, null, new JsonObject
        {
            ["availableReplicas"] = replicas ?? 1,
            ["currentReplicas"] = replicas ?? 1,
            ["replicas"] = replicas ?? 1,
        });
    }

    public static string ReplicaSet(string ns, string name, string resourceVersion, int? replicas, string[] claims, string? ownerDeployment)
    {
        var spec = new JsonObject
        {
            ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app.kubernetes.io/name"] = name } },
            ["template"] = PodTemplate(name, claims, "nginx:1.27"),
        };
        if (replicas is { } r) spec["replicas"] = r;
        JsonArray? owners = ownerDeployment is null ? null : new JsonArray(new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["blockOwnerDeletion"] = true,
            ["controller"] = true,
            ["kind"] = "Deployment",
            ["name"] = ownerDeployment,
            ["uid"] = Uid(ns, ownerDeployment, "deploy"),
        });
        return Workload("ReplicaSet", ns, name, resourceVersion, spec, owners, new JsonObject
        {
            ["availableReplicas"] = replicas ?? 1,
            ["fullyLabeledReplicas"] = replicas ?? 1,
            ["observedGeneration"] = 1,
            ["readyReplicas"] = replicas ?? 1,
            ["replicas"] = replicas ?? 1,
        }, new JsonObject
        {
            ["deployment.kubernetes.io/desired-replicas"] = (replicas ?? 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["deployment.kubernetes.io/max-replicas"] = ((replicas ?? 1) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["deployment.kubernetes.io/revision"] = "1",
        });
    }

    /// <summary>A DaemonSet as stored: no replicas (one pod per eligible node), updateStrategy defaulted, the status the
    /// DaemonSet controller writes.</summary>
    public static string DaemonSet(string ns, string name, string resourceVersion, string[] claims, string image = "fluent/fluent-bit:3.1")
    {
        var spec = new JsonObject
        {
            ["revisionHistoryLimit"] = 10,
            ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app.kubernetes.io/name"] = name } },
            ["template"] = PodTemplate(name, claims, image),
            ["updateStrategy"] = JsonNode.Parse("""{"rollingUpdate":{"maxSurge":0,"maxUnavailable":1},"type":"RollingUpdate"}"""),
        };
        return Workload("DaemonSet", ns, name, resourceVersion, spec, null, new JsonObject
        {
            ["currentNumberScheduled"] = 3,
            ["desiredNumberScheduled"] = 3,
            ["numberAvailable"] = 1,
            ["numberMisscheduled"] = 0,
            ["numberReady"] = 1,
            ["numberUnavailable"] = 2,
            ["observedGeneration"] = 1,
            ["updatedNumberScheduled"] = 3,
        }, new JsonObject { ["deprecated.daemonset.template.generation"] = "1" });
    }

    public static string Autoscaler(string ns, string name, string resourceVersion, string targetKind, string targetName, int min, int max,
        string targetApiVersion = "apps/v1") =>
        new JsonObject
        {
            ["apiVersion"] = "autoscaling/v2",
            ["kind"] = "HorizontalPodAutoscaler",
            ["metadata"] = new JsonObject
            {
                ["creationTimestamp"] = "2025-03-04T09:20:00Z",
                ["name"] = name,
                ["namespace"] = ns,
                ["resourceVersion"] = resourceVersion,
                ["uid"] = Uid(ns, name, "hpa"),
            },
            ["spec"] = new JsonObject
            {
                ["maxReplicas"] = max,
                ["metrics"] = JsonNode.Parse("""[{"resource":{"name":"cpu","target":{"averageUtilization":80,"type":"Utilization"}},"type":"Resource"}]"""),
                ["minReplicas"] = min,
                ["scaleTargetRef"] = new JsonObject { ["apiVersion"] = targetApiVersion, ["kind"] = targetKind, ["name"] = targetName },
            },
            ["status"] = JsonNode.Parse("""{"currentMetrics":null,"currentReplicas":1,"desiredReplicas":1}"""),
        }.ToJsonString();

    public static string StorageClass(string name, string resourceVersion, string provisioner, bool isDefault = false,
        IDictionary<string, string>? annotations = null)
    {
        var notes = new JsonObject();
        if (isDefault) notes["storageclass.kubernetes.io/is-default-class"] = "true";
        foreach (var (k, v) in annotations ?? new Dictionary<string, string>()) notes[k] = v;
        return new JsonObject
        {
            ["apiVersion"] = "storage.k8s.io/v1",
            ["kind"] = "StorageClass",
            ["metadata"] = new JsonObject
            {
                ["annotations"] = notes,
                ["creationTimestamp"] = "2024-11-02T14:03:11Z",
                ["name"] = name,
                ["resourceVersion"] = resourceVersion,
                ["uid"] = Uid("", name, "sc"),
            },
            ["parameters"] = new JsonObject { ["type"] = "gp3" },
            ["provisioner"] = provisioner,
            ["reclaimPolicy"] = "Delete",
            ["volumeBindingMode"] = "WaitForFirstConsumer",
            ["allowVolumeExpansion"] = true,
        }.ToJsonString();
    }

    private static string Workload(string kind, string ns, string name, string resourceVersion, JsonObject spec, JsonArray? owners,
        JsonObject status, JsonObject? annotations = null)
    {
        var metadata = new JsonObject
        {
            ["annotations"] = annotations ?? new JsonObject(),
            ["creationTimestamp"] = "2025-03-04T09:13:02Z",
            ["generation"] = 1,
            ["labels"] = new JsonObject { ["app.kubernetes.io/name"] = name, ["app.kubernetes.io/managed-by"] = "Helm" },
            ["name"] = name,
            ["namespace"] = ns,
            ["resourceVersion"] = resourceVersion,
            ["uid"] = Uid(ns, name, kind),
        };
        if (owners is not null) metadata["ownerReferences"] = owners;
        return new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = kind,
            ["metadata"] = metadata,
            ["spec"] = spec,
            ["status"] = status,
        }.ToJsonString();
    }

    private static JsonObject PodTemplate(string name, string[] claims, string image)
    {
        var volumes = new JsonArray([.. claims.Select((c, i) => (JsonNode)new JsonObject
        {
            ["name"] = $"data-{i}",
            ["persistentVolumeClaim"] = new JsonObject { ["claimName"] = c },
        })]);
        volumes.Add(JsonNode.Parse("""{"name":"tmp","emptyDir":{}}"""));
        return new JsonObject
        {
            ["metadata"] = new JsonObject { ["creationTimestamp"] = null, ["labels"] = new JsonObject { ["app.kubernetes.io/name"] = name } },
            ["spec"] = new JsonObject
            {
                ["containers"] = new JsonArray(new JsonObject
                {
                    ["env"] = JsonNode.Parse("""[{"name":"STORAGE_DIR","value":"/app/server/storage"},{"name":"SERVER_PORT","value":"3001"}]"""),
                    ["image"] = image,
                    ["imagePullPolicy"] = "IfNotPresent",
                    ["name"] = "app",
                    ["resources"] = new JsonObject(),
                    ["terminationMessagePath"] = "/dev/termination-log",
                    ["terminationMessagePolicy"] = "File",
                    ["volumeMounts"] = new JsonArray([.. claims.Select((_, i) => (JsonNode)new JsonObject
                    {
                        ["mountPath"] = $"/data/{i}",
                        ["name"] = $"data-{i}",
                    })]),
                }),
                ["dnsPolicy"] = "ClusterFirst",
                ["restartPolicy"] = "Always",
                ["schedulerName"] = "default-scheduler",
                ["securityContext"] = new JsonObject { ["fsGroup"] = 1000 },
                ["terminationGracePeriodSeconds"] = 30,
                ["volumes"] = volumes,
            },
        };
    }

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);

    private static JsonObject Labels(IDictionary<string, string> labels)
    {
        var result = new JsonObject();
        foreach (var (k, v) in labels) result[k] = v;
        return result;
    }

    /// <summary>A stable, realistic-looking uid.</summary>
    private static string Uid(string ns, string name, string kind)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{kind}/{ns}/{name}"));
        return new Guid(hash.AsSpan(0, 16)).ToString();
    }
}
