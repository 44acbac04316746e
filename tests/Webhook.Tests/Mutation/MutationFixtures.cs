using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.JsonPatch.SystemTextJson;
using RwxGuard.Admission;
using RwxGuard.Mapping;
using RwxGuard.Options;
using RwxGuard.Policies;
using RwxGuard.Tests.Infrastructure;
using RwxGuard.Domain;

namespace RwxGuard.Tests.Mutation;

/// <summary>The StorageClass lists in Fixtures/storageclasses, as the cluster view would hold them.</summary>
public static class StorageClassFixtures
{
    public static IReadOnlyList<StorageClassInfo> Load(string file)
    {
        var list = KubernetesJson.Deserialize<V1StorageClassList>(Fixtures.Read(Path.Combine("storageclasses", file)));
        return list.Items.Select(ToInfo).ToList();
    }

    public static StorageClassInfo ToInfo(V1StorageClass c) => ModelMapping.ToStorageClass(c);

    public static FakeClusterView View(string file)
    {
        var view = new FakeClusterView();
        foreach (var c in Load(file)) view.Add(c);
        return view;
    }

    public static FakeClusterView View(params StorageClassInfo[] classes)
    {
        var view = new FakeClusterView();
        foreach (var c in classes) view.Add(c);
        return view;
    }

    public static StorageClassInfo Class(string name, string provisioner, bool isDefault = false, string? rwx = null)
    {
        var annotations = new Dictionary<string, string>();
        if (isDefault) annotations["storageclass.kubernetes.io/is-default-class"] = "true";
        if (rwx is not null) annotations[WellKnown.RwxClassAnnotation] = rwx;
        return new StorageClassInfo { Name = name, Provisioner = provisioner, Annotations = annotations };
    }
}

/// <summary>Claims as JSON (what the API server sends) and the mutator's patch applied to them for real.</summary>
public static class ClaimJson
{
    public const string Ns = "ai";

    /// <summary>A v1 PersistentVolumeClaim as the API server hands it to webhooks.</summary>
    public static JsonObject Create(string name = "anythingllm-storage-claim", string[]? modes = null, string? storageClass = null,
        Dictionary<string, string>? labels = null, Dictionary<string, string>? annotations = null, string ns = Ns,
        Action<JsonObject>? spec = null)
    {
        var metadata = new JsonObject { ["name"] = name, ["namespace"] = ns };
        if (labels is not null) metadata["labels"] = Map(labels);
        if (annotations is not null) metadata["annotations"] = Map(annotations);
        var specNode = new JsonObject
        {
            ["accessModes"] = new JsonArray((modes ?? ["ReadWriteOnce"]).Select(m => (JsonNode)JsonValue.Create(m)!).ToArray()),
            ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["storage"] = "8Gi" } },
            ["volumeMode"] = "Filesystem",
        };
        if (storageClass is not null) specNode["storageClassName"] = storageClass;
        spec?.Invoke(specNode);
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "PersistentVolumeClaim",
            ["metadata"] = metadata,
            ["spec"] = specNode,
            ["status"] = new JsonObject { ["phase"] = "Pending" },
        };
    }

    public static JsonObject AnythingLlm(string? storageClass = "gp3", string[]? modes = null, Dictionary<string, string>? annotations = null,
        Action<JsonObject>? spec = null) =>
        Create(storageClass: storageClass, modes: modes, annotations: annotations, spec: spec,
            labels: new() { ["app.kubernetes.io/name"] = "anythingllm", ["app.kubernetes.io/instance"] = "anythingllm" });

    /// <summary>What the webhook decodes from the same JSON: the real wire mapping, not a hand-built record.</summary>
    public static ClaimInfo Info(JsonObject claim) =>
        ShapeMapping.ToClaim(JsonSerializer.Deserialize(claim.ToJsonString(), AdmissionJsonContext.Default.ClaimObject)!, null, null);

    /// <summary>
    /// The policy's patch encoded exactly as the webhook answers (AdmissionDecision, base64 JSONPatch), then applied to
    /// a copy of <paramref name="original"/> by an RFC 6902 implementation.
    /// </summary>
    public static V1PersistentVolumeClaim Apply(JsonObject original, PolicyResult result)
    {
        var response = AdmissionDecision.From("uid", Verdict.Of(Info(original), result), EnforcementMode.Warn);
        Assert.Equal("JSONPatch", response.PatchType);
        return Apply(original, response.Patch!);
    }

    public static V1PersistentVolumeClaim Apply(JsonObject original, string base64Patch) =>
        KubernetesJson.Deserialize<V1PersistentVolumeClaim>(ApplyToJson(original, base64Patch).ToJsonString());

    public static JsonObject ApplyToJson(JsonObject original, string base64Patch)
    {
        var document = JsonSerializer.Deserialize<JsonPatchDocument>(Convert.FromBase64String(base64Patch))!;
        var target = original.DeepClone().AsObject();
        document.ApplyTo(target);
        return target;
    }

    private static JsonObject Map(Dictionary<string, string> map)
    {
        var node = new JsonObject();
        foreach (var (key, value) in map) node[key] = value;
        return node;
    }
}
