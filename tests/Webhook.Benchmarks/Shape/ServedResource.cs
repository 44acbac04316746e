using System.Buffers;

namespace RwxGuard.Benchmarks.Shape;

/// <summary>Writes object <c>index</c> of a resource, with <c>resourceVersion</c>, without its opening brace.</summary>
public delegate void RenderObject(IBufferWriter<byte> output, int index, string resourceVersion);

/// <summary>One resource the fake API server lists and watches: its path, its kinds, how many objects, how to write one.</summary>
public sealed record ServedResource(string Plural, string Path, string Kind, string ApiVersion, int Count, RenderObject Render)
{
    public string ListKind => Kind + "List";

    /// <summary>The resourceVersion object <paramref name="index"/> has until an event changes it.</summary>
    public string InitialVersion(int index) => (1_000_000L + index * 16L + Plural.Sum(c => c) % 16).ToString();

    /// <summary>Every resource of <paramref name="shape"/>, with templates compiled once.</summary>
    public static IReadOnlyList<ServedResource> Of(ClusterShape shape)
    {
        var deployment = Templates(ShapeObjects.DeploymentHoles, ShapeObjects.Deployment(claim: true), ShapeObjects.Deployment(claim: false));
        var owned = Templates(ShapeObjects.OwnedReplicaSetHoles, ShapeObjects.OwnedReplicaSet(claim: true), ShapeObjects.OwnedReplicaSet(claim: false));
        var standalone = Templates(ShapeObjects.StandaloneReplicaSetHoles, ShapeObjects.StandaloneReplicaSet());
        var statefulSet = Templates(ShapeObjects.StatefulSetHoles, ShapeObjects.StatefulSet());
        var daemonSet = Templates(ShapeObjects.DaemonSetHoles, ShapeObjects.DaemonSet());
        var claim = Templates(ShapeObjects.ClaimHoles, ShapeObjects.Claim(applied: true), ShapeObjects.Claim(applied: false));
        var autoscaler = Templates(ShapeObjects.AutoscalerHoles, ShapeObjects.Autoscaler());
        var ns = Templates(ShapeObjects.NamespaceHoles, ShapeObjects.Namespace(null), ShapeObjects.Namespace("warn"), ShapeObjects.Namespace("audit"));
        var storageClass = Templates(ShapeObjects.StorageClassHoles, ShapeObjects.StorageClasses);

        var claimsOfDeployments = shape.Claims - shape.StatefulSets;
        static string Team(int i) => $"team-{i % 17}";
        static string Image(int i, int revision) => $"registry.example.com/team-{i % 17}/app-{i}:2.{revision}.{i % 10}";
        string Replicas(int i) => (i < shape.DeploymentClaims ? shape.DeploymentReplicas(i) : 3).ToString();

        return
        [
            new("persistentvolumeclaims", "/api/v1/persistentvolumeclaims", "PersistentVolumeClaim", "v1", shape.Claims, (output, c, rv) =>
            {
                if (c < claimsOfDeployments)
                {
                    var shared = shape.SharedClaim(c);
                    claim[0].Render(output, [$"claim-{c}", shape.NamespaceOf(c), Uid(c, 1), rv, shared ? "ReadWriteMany" : "ReadWriteOnce",
                        shared ? "efs-sc" : "gp3", shared ? "efs.csi.aws.com" : "ebs.csi.aws.com",
                        shape.AnythingLlmClaim(c) ? "anythingllm" : $"app-{c}", $"pvc-{Uid(c, 2)}", Team(c)]);
                }
                else
                {
                    var j = c - claimsOfDeployments;
                    claim[1].Render(output, [$"data-db-{j}-0", shape.NamespaceOf(j), Uid(c, 1), rv, "ReadWriteOnce", "gp3", "ebs.csi.aws.com",
                        $"db-{j}", $"pvc-{Uid(c, 2)}", Team(j)]);
                }
            }),
            new("deployments", "/apis/apps/v1/deployments", "Deployment", "apps/v1", shape.Deployments, (output, i, rv) =>
                deployment[i < shape.DeploymentClaims ? 0 : 1].Render(output, [$"app-{i}", shape.NamespaceOf(i), Uid(i, 3), rv, Replicas(i),
                    $"claim-{i}", Image(i, shape.ReplicaSetsPerDeployment), Hash(i, shape.ReplicaSetsPerDeployment), Team(i), $"app-{i}"])),
            new("statefulsets", "/apis/apps/v1/statefulsets", "StatefulSet", "apps/v1", shape.StatefulSets, (output, j, rv) =>
                statefulSet[0].Render(output, [$"db-{j}", shape.NamespaceOf(j), Uid(j, 5), rv, $"docker.io/library/postgres:16.{j % 5}", Team(j), $"db-{j}"])),
            new("replicasets", "/apis/apps/v1/replicasets", "ReplicaSet", "apps/v1", shape.ReplicaSets, (output, k, rv) =>
            {
                if (k < shape.OwnedReplicaSets)
                {
                    var (i, age) = (k / shape.ReplicaSetsPerDeployment, k % shape.ReplicaSetsPerDeployment);
                    var revision = shape.ReplicaSetsPerDeployment - age; // the newest (age 0) has the highest revision
                    owned[i < shape.DeploymentClaims ? 0 : 1].Render(output, [$"app-{i}-{Hash(i, revision)}", shape.NamespaceOf(i), Uid(k, 6), rv,
                        age == 0 ? Replicas(i) : "0", $"claim-{i}", Image(i, revision), Hash(i, revision), $"app-{i}", Uid(i, 3),
                        revision.ToString(), $"2026-{(revision * 3 - 1):00}-14T07:30:00Z", Team(i)]);
                }
                else
                {
                    var j = k - shape.OwnedReplicaSets;
                    standalone[0].Render(output, [$"worker-{j}", shape.NamespaceOf(j), Uid(j, 7), rv, Image(j, 1), Team(j), $"worker-{j}"]);
                }
            }),
            new("daemonsets", "/apis/apps/v1/daemonsets", "DaemonSet", "apps/v1", shape.DaemonSets, (output, j, rv) =>
                daemonSet[0].Render(output, [$"agent-{j}", shape.NamespaceOf(j), Uid(j, 8), rv, $"quay.io/example/node-agent:1.{j % 7}.0", Team(j), $"agent-{j}"])),
            new("horizontalpodautoscalers", "/apis/autoscaling/v2/horizontalpodautoscalers", "HorizontalPodAutoscaler", "autoscaling/v2", shape.Autoscalers, (output, j, rv) =>
            {
                var target = shape.AutoscalerTarget(j);
                autoscaler[0].Render(output, [$"app-{target}", shape.NamespaceOf(target), Uid(j, 9), rv, $"app-{target}", Team(target)]);
            }),
            new("storageclasses", "/apis/storage.k8s.io/v1/storageclasses", "StorageClass", "storage.k8s.io/v1", shape.StorageClasses, (output, i, rv) =>
                storageClass[i].Render(output, [rv])),
            new("namespaces", "/api/v1/namespaces", "Namespace", "v1", shape.Namespaces, (output, n, rv) =>
                ns[shape.NamespaceMode(n) switch { "warn" => 1, "audit" => 2, _ => 0 }].Render(output, [shape.NamespaceName(n), Uid(n, 4), rv, Team(n)])),
        ];
    }

    private static JsonTemplate[] Templates(string[] holes, params string[] bodies) =>
        [.. bodies.Select(body => JsonTemplate.Compile(body, holes))];

    /// <summary>A uid unique per object and kind (<paramref name="salt"/>), the same every time it is rendered.</summary>
    public static string Uid(int i, int salt) => $"{salt:x8}-0000-4000-8000-{i:x12}";

    private const string HashAlphabet = "bcdfghjklmnpqrstvwxz2456789"; // the characters of pod-template-hash

    /// <summary>The pod-template-hash of Deployment <paramref name="i"/>'s template at <paramref name="revision"/>.</summary>
    public static string Hash(int i, int revision)
    {
        var x = (ulong)(uint)i * 0x9E3779B97F4A7C15UL ^ (ulong)revision * 0xC2B2AE3D27D4EB4FUL;
        Span<char> text = stackalloc char[10];
        for (var c = 0; c < text.Length; c++)
        {
            x ^= x >> 29;
            x *= 0xBF58476D1CE4E5B9UL;
            text[c] = HashAlphabet[(int)(x % (ulong)HashAlphabet.Length)];
        }
        return new string(text);
    }
}
