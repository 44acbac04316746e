using System.Text;
using System.Text.Json.Nodes;

namespace RwxGuard.Benchmarks;

/// <summary>
/// The realistic AdmissionReviews the benchmarks send, built from the real captures: a 12 KB Deployment CREATE mounting a
/// claim, a deployments/scale UPDATE, and an AnythingLLM PVC CREATE that the mutator patches.
/// </summary>
public static class Requests
{
    private static string Fixture(string name) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "admission", name));

    /// <summary>datree's captured Deployment CREATE (replicas 2) mounting claim <paramref name="claim"/> in <paramref name="ns"/>.</summary>
    /// <param name="lastApplied">Add kubectl's last-applied-configuration annotation (false: the same request as a
    /// server-side apply or a controller would send it, for comparing what that annotation costs).</param>
    public static byte[] DeploymentCreate(string ns, string name, string claim, bool lastApplied = true)
    {
        var review = JsonNode.Parse(Fixture("datree-deployment-create-replicas2-v1.json"))!.AsObject();
        var request = review["request"]!;
        request["namespace"] = ns;
        request["name"] = name;
        request["object"]!["metadata"]!["namespace"] = ns;
        request["object"]!["metadata"]!["name"] = name;
        var podSpec = request["object"]!["spec"]!["template"]!["spec"]!.AsObject();
        podSpec["volumes"] = new JsonArray(new JsonObject
        {
            ["name"] = "data",
            ["persistentVolumeClaim"] = new JsonObject { ["claimName"] = claim },
        });
        // The container as AnythingLLM's official manifest configures it (environment, probes).
        var container = podSpec["containers"]!.AsArray()[0]!.AsObject();
        var env = new JsonArray();
        foreach (var (key, value) in new[]
                 {
                     ("SERVER_PORT", "3001"), ("STORAGE_DIR", "/app/server/storage"), ("NODE_ENV", "production"),
                     ("UID", "1000"), ("GID", "1000"), ("LLM_PROVIDER", "ollama"), ("OLLAMA_BASE_PATH", "http://ollama.ai.svc:11434"),
                     ("OLLAMA_MODEL_PREF", "llama3.1:8b"), ("OLLAMA_MODEL_TOKEN_LIMIT", "8192"), ("EMBEDDING_ENGINE", "native"),
                     ("VECTOR_DB", "lancedb"), ("WHISPER_PROVIDER", "local"), ("TTS_PROVIDER", "native"),
                     ("PASSWORDMINCHAR", "8"), ("DISABLE_TELEMETRY", "true"),
                 })
            env.Add(new JsonObject { ["name"] = key, ["value"] = value });
        container["env"] = env;
        JsonObject Probe(int delay) => new()
        {
            ["httpGet"] = new JsonObject { ["path"] = "/api/ping", ["port"] = 3001, ["scheme"] = "HTTP" },
            ["initialDelaySeconds"] = delay, ["periodSeconds"] = 10, ["timeoutSeconds"] = 5, ["failureThreshold"] = 3, ["successThreshold"] = 1,
        };
        container["livenessProbe"] = Probe(30);
        container["readinessProbe"] = Probe(10);

        // What `kubectl apply` (client-side) sends: the applied manifest again as an annotation. Real CREATEs through
        // kubectl carry it, and it brings the request to the 10–12 KB the benchmark is specified with.
        var obj = request["object"]!.AsObject();
        if (!lastApplied) return Encoding.UTF8.GetBytes(review.ToJsonString());
        var applied = new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "Deployment",
            ["metadata"] = new JsonObject
            {
                ["name"] = name, ["namespace"] = ns,
                ["labels"] = obj["metadata"]?["labels"]?.DeepClone(),
            },
            ["spec"] = obj["spec"]!.DeepClone(),
        };
        var metadata = obj["metadata"]!.AsObject();
        var annotations = metadata["annotations"] as JsonObject ?? new JsonObject();
        annotations["kubectl.kubernetes.io/last-applied-configuration"] = applied.ToJsonString() + "\n";
        metadata["annotations"] = annotations;
        return Encoding.UTF8.GetBytes(review.ToJsonString());
    }

    /// <summary>kubectl scale deployment/<paramref name="name"/> --replicas=<paramref name="replicas"/>.</summary>
    public static byte[] ScaleUpdate(string ns, string name, int replicas)
    {
        JsonObject Scale(int r) => new()
        {
            ["apiVersion"] = "autoscaling/v1",
            ["kind"] = "Scale",
            ["metadata"] = new JsonObject
            {
                ["name"] = name, ["namespace"] = ns, ["uid"] = "6f7b6c1e-3c2b-4a59-9f1e-2c9d1d6d3b1a",
                ["resourceVersion"] = "123456", ["creationTimestamp"] = "2026-11-01T10:00:00Z",
            },
            ["spec"] = new JsonObject { ["replicas"] = r },
            ["status"] = new JsonObject { ["replicas"] = 1, ["selector"] = $"app={name}" },
        };
        var review = new JsonObject
        {
            ["apiVersion"] = "admission.k8s.io/v1",
            ["kind"] = "AdmissionReview",
            ["request"] = new JsonObject
            {
                ["uid"] = "8b1e3c2a-5d4f-4e6a-9b7c-0d1e2f3a4b5c",
                ["kind"] = new JsonObject { ["group"] = "autoscaling", ["version"] = "v1", ["kind"] = "Scale" },
                ["resource"] = new JsonObject { ["group"] = "apps", ["version"] = "v1", ["resource"] = "deployments" },
                ["subResource"] = "scale",
                ["requestKind"] = new JsonObject { ["group"] = "autoscaling", ["version"] = "v1", ["kind"] = "Scale" },
                ["requestResource"] = new JsonObject { ["group"] = "apps", ["version"] = "v1", ["resource"] = "deployments" },
                ["requestSubResource"] = "scale",
                ["name"] = name,
                ["namespace"] = ns,
                ["operation"] = "UPDATE",
                ["userInfo"] = new JsonObject { ["username"] = "kubernetes-admin", ["groups"] = new JsonArray("system:masters", "system:authenticated") },
                ["object"] = Scale(replicas),
                ["oldObject"] = Scale(1),
                ["dryRun"] = false,
                ["options"] = new JsonObject { ["apiVersion"] = "meta.k8s.io/v1", ["kind"] = "UpdateOptions" },
            },
        };
        return Encoding.UTF8.GetBytes(review.ToJsonString());
    }

    /// <summary>kubewarden's captured PVC CREATE, labelled like the official AnythingLLM chart so the mutator patches it.</summary>
    public static byte[] ClaimCreate(string ns, string name)
    {
        var request = JsonNode.Parse(Fixture("kw-pvc-create-rwo-storageclass-fast-v1req.json"))!.AsObject();
        request["namespace"] = ns;
        request["name"] = name;
        var meta = request["object"]!["metadata"]!.AsObject();
        meta["namespace"] = ns;
        meta["name"] = name;
        meta["labels"] = new JsonObject { ["app.kubernetes.io/name"] = "anythingllm", ["app.kubernetes.io/instance"] = "anythingllm" };
        var review = new JsonObject { ["apiVersion"] = "admission.k8s.io/v1", ["kind"] = "AdmissionReview", ["request"] = request };
        return Encoding.UTF8.GetBytes(review.ToJsonString());
    }

    // ---- the soak's mix: every request kind, each with its own uid --------------------------------------------------

    /// <summary>A copy of <paramref name="body"/> with request.uid replaced (the soak checks every answer echoes its own).</summary>
    public static byte[] WithUid(byte[] body, string uid)
    {
        var review = JsonNode.Parse(body)!.AsObject();
        review["request"]!["uid"] = uid;
        return Encoding.UTF8.GetBytes(review.ToJsonString());
    }

    private static JsonObject Review(JsonObject request) =>
        new() { ["apiVersion"] = "admission.k8s.io/v1", ["kind"] = "AdmissionReview", ["request"] = request };

    /// <summary>kubewarden's captured Deployment UPDATE (with oldObject), moved to app-i mounting claim-i, replicas old → new.</summary>
    public static byte[] DeploymentUpdate(string ns, string name, string claim, int replicas, int oldReplicas)
    {
        var request = JsonNode.Parse(Fixture("kw-deployment-update-with-oldobject-v1req.json"))!.AsObject();
        request["namespace"] = ns;
        request["name"] = name;
        foreach (var (key, count) in new[] { ("object", replicas), ("oldObject", oldReplicas) })
        {
            var obj = request[key]!;
            obj["metadata"]!["namespace"] = ns;
            obj["metadata"]!["name"] = name;
            obj["spec"]!["replicas"] = count;
            obj["spec"]!["template"]!["spec"]!["volumes"] = new JsonArray(new JsonObject
            {
                ["name"] = "data",
                ["persistentVolumeClaim"] = new JsonObject { ["claimName"] = claim },
            });
        }
        return Encoding.UTF8.GetBytes(Review(request).ToJsonString());
    }

    /// <summary>kubewarden's captured Deployment DELETE (no object, oldObject set).</summary>
    public static byte[] DeploymentDelete(string ns, string name)
    {
        var request = JsonNode.Parse(Fixture("kw-deployment-delete-v1req.json"))!.AsObject();
        request["namespace"] = ns;
        request["name"] = name;
        return Encoding.UTF8.GetBytes(Review(request).ToJsonString());
    }

    /// <summary>kubewarden's captured PVC CREATE as it is (ReadWriteOnce, class "fast"), renamed.</summary>
    public static byte[] PlainClaimCreate(string ns, string name)
    {
        var request = JsonNode.Parse(Fixture("kw-pvc-create-rwo-storageclass-fast-v1req.json"))!.AsObject();
        request["namespace"] = ns;
        request["name"] = name;
        request["object"]!["metadata"]!["namespace"] = ns;
        request["object"]!["metadata"]!["name"] = name;
        return Encoding.UTF8.GetBytes(Review(request).ToJsonString());
    }

    /// <summary>An autoscaling/v2 HorizontalPodAutoscaler CREATE targeting Deployment <paramref name="target"/>.</summary>
    public static byte[] AutoscalerCreate(string ns, string name, string target, int maxReplicas)
    {
        var hpa = new JsonObject
        {
            ["apiVersion"] = "autoscaling/v2",
            ["kind"] = "HorizontalPodAutoscaler",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["creationTimestamp"] = null },
            ["spec"] = new JsonObject
            {
                ["scaleTargetRef"] = new JsonObject { ["apiVersion"] = "apps/v1", ["kind"] = "Deployment", ["name"] = target },
                ["minReplicas"] = 1,
                ["maxReplicas"] = maxReplicas,
                ["metrics"] = JsonNode.Parse("""[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":80}}}]"""),
            },
            ["status"] = new JsonObject { ["currentReplicas"] = 0, ["desiredReplicas"] = 0 },
        };
        var gvk = new JsonObject { ["group"] = "autoscaling", ["version"] = "v2", ["kind"] = "HorizontalPodAutoscaler" };
        var gvr = new JsonObject { ["group"] = "autoscaling", ["version"] = "v2", ["resource"] = "horizontalpodautoscalers" };
        return Encoding.UTF8.GetBytes(Review(new JsonObject
        {
            ["uid"] = Guid.NewGuid().ToString(),
            ["kind"] = gvk,
            ["resource"] = gvr,
            ["requestKind"] = gvk.DeepClone(),
            ["requestResource"] = gvr.DeepClone(),
            ["name"] = name,
            ["namespace"] = ns,
            ["operation"] = "CREATE",
            ["userInfo"] = new JsonObject { ["username"] = "kubernetes-admin", ["groups"] = new JsonArray("system:masters", "system:authenticated") },
            ["object"] = hpa,
            ["oldObject"] = null,
            ["dryRun"] = false,
            ["options"] = new JsonObject { ["apiVersion"] = "meta.k8s.io/v1", ["kind"] = "CreateOptions", ["fieldManager"] = "kubectl-client-side-apply" },
        }).ToJsonString());
    }
}
