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
    public static byte[] DeploymentCreate(string ns, string name, string claim)
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
}
