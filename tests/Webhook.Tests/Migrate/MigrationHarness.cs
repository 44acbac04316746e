using System.Text.Json.Nodes;
using k8s;
using RwxGuard.Migrate;
using RwxGuard.Options;
using RwxGuard.Policies;
using RwxGuard.Tests.Cluster;
using RwxGuard.Tests.Infrastructure.FakeKube;
using RwxGuard.Domain;

namespace RwxGuard.Tests.Migrate;

/// <summary>
/// An AnythingLLM install (the official chart's objects: Helm labels, claim on the default EBS class, one replica) in
/// a <see cref="FakeKubeApi"/> with its controllers, where every volume is a directory on this machine and the copy
/// Job really runs the copy script over them. It also watches the one rule that must never break: a claim is deleted
/// only when its volume is Retain.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class MigrationHarness : IAsyncDisposable
{
    public const string Ns = "ai";
    public const string ClaimName = "anythingllm-storage-claim";
    /// <summary>What the binary writes into the lock on this machine, so a run of the binary and an in-process run are
    /// the same owner (a crashed laptop resuming its own migration).</summary>
    public static readonly string Owner = $"{Environment.UserName}@{Environment.MachineName}";
    public static readonly WorkloadRef Deployment = new(WorkloadKind.Deployment, "anythingllm");

    private readonly List<string> _violations = [];
    private readonly List<string> _deletedClaims = [];

    private MigrationHarness(FakeKubeApi api, KubeControllers controllers, string root)
    {
        Api = api;
        Controllers = controllers;
        Root = root;
        Client = api.Client();
    }

    public FakeKubeApi Api { get; }
    public KubeControllers Controllers { get; }
    public Kubernetes Client { get; }
    /// <summary>Where volumes live: one directory per PersistentVolume name.</summary>
    public string Root { get; }
    public IReadOnlyList<string> Violations { get { lock (_violations) return [.. _violations]; } }
    public IReadOnlyList<string> DeletedClaims { get { lock (_violations) return [.. _deletedClaims]; } }
    public string OriginalVolume { get; private set; } = "";

    public static readonly MigrationTimings Fast = new() { Poll = TimeSpan.FromMilliseconds(20), Wait = TimeSpan.FromSeconds(30), Copy = TimeSpan.FromMinutes(2) };

    public static async Task<MigrationHarness> StartAsync(int replicas = 1, string podSecurity = "baseline", bool tree = true)
    {
        KubeControllers? controllers = null;
        var api = await FakeKubeApi.StartAsync(a => controllers = KubeControllers.Install(a));
        controllers!.Workloads.TerminationDelay = TimeSpan.FromMilliseconds(50);
        var harness = new MigrationHarness(api, controllers, Directory.CreateTempSubdirectory("rwx-guard-volumes-").FullName);
        controllers.Jobs.Runner = harness.RunCopyAsync;
        api.OnRequest = harness.Observe;

        api.Seed(ResourceType.Namespaces, """{"metadata":{"name":"ai","labels":{"kubernetes.io/metadata.name":"ai","pod-security.kubernetes.io/enforce":"LEVEL"}}}""".Replace("LEVEL", podSecurity));
        api.Seed(ResourceType.StorageClasses, """{"metadata":{"name":"gp3","annotations":{"storageclass.kubernetes.io/is-default-class":"true"}},"provisioner":"ebs.csi.aws.com","reclaimPolicy":"Delete","volumeBindingMode":"WaitForFirstConsumer"}""");
        api.Seed(ResourceType.StorageClasses, """{"metadata":{"name":"efs-sc"},"provisioner":"efs.csi.aws.com","reclaimPolicy":"Delete"}""");
        api.Seed(ResourceType.Claims, """
            {"metadata":{"name":"anythingllm-storage-claim","namespace":"ai",
              "labels":{"app.kubernetes.io/name":"anythingllm","app.kubernetes.io/instance":"anythingllm","app.kubernetes.io/managed-by":"Helm","helm.sh/chart":"anythingllm-1.16.0"},
              "annotations":{"meta.helm.sh/release-name":"anythingllm","meta.helm.sh/release-namespace":"ai"}},
             "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"8Gi"}}}}
            """);
        api.Seed(ResourceType.Deployments, Obj.Parse("""
            {"metadata":{"name":"anythingllm","namespace":"ai","labels":{"app.kubernetes.io/name":"anythingllm","app.kubernetes.io/managed-by":"Helm"},
              "annotations":{"meta.helm.sh/release-name":"anythingllm"}},
             "spec":{"replicas":REPLICAS,"strategy":{"type":"Recreate"},"selector":{"matchLabels":{"app.kubernetes.io/name":"anythingllm"}},
              "template":{"metadata":{"labels":{"app.kubernetes.io/name":"anythingllm"}},
               "spec":{"securityContext":{"runAsUser":1000,"runAsGroup":1000,"fsGroup":1000},
                "containers":[{"name":"anythingllm","image":"mintplexlabs/anythingllm:1.8.4","env":[{"name":"STORAGE_DIR","value":"/app/server/storage"}],
                  "volumeMounts":[{"name":"storage","mountPath":"/app/server/storage"}]}],
                "volumes":[{"name":"storage","persistentVolumeClaim":{"claimName":"CLAIM"}}]}}}}
            """.Replace("REPLICAS", replicas.ToString(System.Globalization.CultureInfo.InvariantCulture)).Replace("CLAIM", ClaimName)));

        await Poll.UntilAsync(() => harness.Claim()?.Str("status.phase") == "Bound", "the claim binds (WaitForFirstConsumer: once the pod exists)");
        await Poll.UntilAsync(() => harness.Get(ResourceType.Deployments, "anythingllm").Int("status.readyReplicas") == Math.Min(replicas, 1), "AnythingLLM runs");
        harness.OriginalVolume = harness.Claim()!.Str("spec.volumeName")!;
        if (tree) AnythingLlmTree.Create(harness.VolumePath(harness.OriginalVolume));
        return harness;
    }

    public JsonObject? Claim(string name = ClaimName) => Api.Store.Get(ResourceType.Claims, Ns, name);
    public JsonObject? Volume(string name) => Api.Store.Get(ResourceType.Volumes, null, name);
    public JsonObject Get(ResourceType type, string name) => Api.Store.GetOrThrow(type, Ns, name);
    public string VolumePath(string volume) => Path.Combine(Root, volume);

    public MigrateRequest Request(string? storageClass = "efs-sc", int? replicas = null, bool snapshot = false) => new()
    {
        Workload = Deployment,
        Namespace = Ns,
        StorageClass = storageClass,
        Replicas = replicas,
        Snapshot = snapshot,
        Owner = Owner,
        Now = DateTimeOffset.UtcNow,
    };

    public async Task<MigrationPlan> PlanAsync(MigrateRequest request)
    {
        var snapshot = await ClusterReader.ReadAsync(Client, request, TestContext.Current.CancellationToken);
        return MigrationPlanner.Plan(snapshot, request, new MutationOptions(), new PolicyOptions());
    }

    public MigrationExecutor Executor(IMigrationOutput output) => new(Client, output, Owner, timings: Fast);

    /// <summary>The copy Job's pod: the script, with the volumes the Job mounts resolved to their directories.</summary>
    private async Task<bool> RunCopyAsync(Infrastructure.FakeKube.Controllers.JobRun run, CancellationToken ct)
    {
        await Task.Yield();
        string Dir(string volumeName)
        {
            var claimName = (run.Job["spec"]!["template"]!["spec"]!["volumes"] as JsonArray)!.OfType<JsonObject>()
                .Single(v => (string?)v["name"] == volumeName).Str("persistentVolumeClaim.claimName")!;
            var volume = Api.Store.GetOrThrow(ResourceType.Claims, run.Namespace, claimName).Str("spec.volumeName")!;
            var path = VolumePath(volume);
            Directory.CreateDirectory(path);
            return path;
        }
        var (code, _) = CopyScript.Run(Dir("source"), Dir("target"), onLine: line => run.Log(line + "\n"));
        return code == 0;
    }

    private void Observe(FakeRequest request)
    {
        if (request.Verb != "delete" || request.Resource != ResourceType.Claims || request.Name is null) return;
        var claim = Api.Store.Get(ResourceType.Claims, request.Namespace, request.Name);
        var volume = claim?.Str("spec.volumeName") is { Length: > 0 } v ? Api.Store.Get(ResourceType.Volumes, null, v) : null;
        lock (_violations)
        {
            _deletedClaims.Add(request.Name);
            if (volume is not null && volume.Str("spec.persistentVolumeReclaimPolicy") != "Retain")
                _violations.Add($"claim {request.Name} deleted while its volume {volume.Name()} was {volume.Str("spec.persistentVolumeReclaimPolicy")}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Api.DisposeAsync();
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>Collects what a migration reports; can stop it right after a given step (an interrupted run).</summary>
public sealed class RecordingOutput(string? stopAfter = null, CancellationTokenSource? stop = null) : IMigrationOutput
{
    private readonly List<string> _lines = [];
    public List<CopyProgress> Progress { get; } = [];
    public IReadOnlyList<string> Lines { get { lock (_lines) return [.. _lines]; } }
    public IReadOnlyList<string> Steps { get { lock (_lines) return [.. _lines.Where(l => l.StartsWith("✓ ", StringComparison.Ordinal)).Select(l => l[2..l.IndexOf(':')])]; } }

    public void StepDone(string step, string detail)
    {
        lock (_lines) _lines.Add($"✓ {step}: {detail}");
        if (step == stopAfter) stop?.Cancel();
    }

    public void Info(string message) { lock (_lines) _lines.Add(message); }
    public void Warn(string message) { lock (_lines) _lines.Add("⚠ " + message); }

    public Task<T> WithProgressAsync<T>(string title, Func<Action<CopyProgress>, Action<string>, Task<T>> work) =>
        work(p => { lock (_lines) Progress.Add(p); }, line => { lock (_lines) _lines.Add("| " + line); });

    public override string ToString() => string.Join('\n', Lines);
}
