using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace RwxGuard.Benchmarks;

/// <summary>
/// A stand-in Kubernetes API for the load benchmark: the real list paths, paginated with limit/continue, objects shaped
/// like a real cluster's (managedFields included), and watches that stay open and quiet. Objects are generated per page,
/// so 100k of each costs no memory here.
/// </summary>
public sealed class FakeApiServer(int count) : IAsyncDisposable
{
    private WebApplication? _app;
    public Uri Address { get; private set; } = null!;

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        Map("/api/v1/persistentvolumeclaims", "PersistentVolumeClaimList", "v1", Claim);
        Map("/apis/apps/v1/deployments", "DeploymentList", "apps/v1", Deployment);
        Map("/apis/apps/v1/statefulsets", "StatefulSetList", "apps/v1", null);
        Map("/apis/apps/v1/replicasets", "ReplicaSetList", "apps/v1", null);
        Map("/apis/autoscaling/v2/horizontalpodautoscalers", "HorizontalPodAutoscalerList", "autoscaling/v2", null);
        Map("/apis/storage.k8s.io/v1/storageclasses", "StorageClassList", "storage.k8s.io/v1", StorageClass, fixedCount: 3);
        Map("/api/v1/namespaces", "NamespaceList", "v1", Namespace, fixedCount: 100);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Address = new Uri(address);
    }

    private void Map(string path, string listKind, string apiVersion, Func<int, string>? item, int? fixedCount = null)
    {
        var total = item is null ? 0 : fixedCount ?? count;
        _app!.MapGet(path, async (HttpContext http) =>
        {
            if (http.Request.Query["watch"] == "true" || http.Request.Query["watch"] == "1")
            {
                // A healthy, quiet watch: headers now, no events, closed by the client or at timeoutSeconds.
                http.Response.ContentType = "application/json";
                await http.Response.Body.FlushAsync();
                var timeout = int.TryParse(http.Request.Query["timeoutSeconds"], out var t) ? t : 300;
                try { await Task.Delay(TimeSpan.FromSeconds(timeout), http.RequestAborted); } catch (OperationCanceledException) { }
                return;
            }
            var limit = int.TryParse(http.Request.Query["limit"], out var l) && l > 0 ? l : total;
            var start = int.TryParse(http.Request.Query["continue"], out var c) ? c : 0;
            var end = Math.Min(total, start + limit);
            var next = end < total ? end.ToString() : "";
            var page = new StringBuilder(Math.Max(256, (end - start) * 1600));
            page.Append($$"""{"kind":"{{listKind}}","apiVersion":"{{apiVersion}}","metadata":{"resourceVersion":"1000","continue":"{{next}}"},"items":[""");
            for (var i = start; i < end; i++)
            {
                if (i > start) page.Append(',');
                page.Append(item!(i));
            }
            page.Append("]}");
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(page.ToString());
        });
    }

    public static string Ns(int i) => $"ns-{i % 100}";

    private static string Claim(int i) => Fill(i, """
        {"metadata":{"name":"claim-__I__","namespace":"__NS__","uid":"__G1__","resourceVersion":"__RV1__","creationTimestamp":"2026-11-01T10:00:00Z","labels":{"app.kubernetes.io/name":"app-__I__"},"annotations":{"pv.kubernetes.io/bind-completed":"yes","pv.kubernetes.io/bound-by-controller":"yes","volume.beta.kubernetes.io/storage-provisioner":"ebs.csi.aws.com"},"finalizers":["kubernetes.io/pvc-protection"],"managedFields":[{"manager":"kubectl-client-side-apply","operation":"Update","apiVersion":"v1","time":"2026-11-01T10:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:accessModes":{},"f:resources":{"f:requests":{".":{},"f:storage":{}}},"f:volumeMode":{}}}}]},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"10Gi"}},"storageClassName":"gp3","volumeMode":"Filesystem","volumeName":"pvc-__G2__"},"status":{"phase":"Bound","accessModes":["ReadWriteOnce"],"capacity":{"storage":"10Gi"}}}
        """);

    private static string Deployment(int i) => Fill(i, """
        {"metadata":{"name":"app-__I__","namespace":"__NS__","uid":"__G3__","resourceVersion":"__RV2__","generation":1,"creationTimestamp":"2026-11-01T10:00:00Z","labels":{"app":"app-__I__"},"annotations":{"deployment.kubernetes.io/revision":"1"},"managedFields":[{"manager":"kubectl-client-side-apply","operation":"Update","apiVersion":"apps/v1","time":"2026-11-01T10:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:replicas":{},"f:template":{"f:spec":{"f:containers":{}}}}}}]},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"app-__I__"}},"strategy":{"type":"Recreate"},"template":{"metadata":{"labels":{"app":"app-__I__"}},"spec":{"containers":[{"name":"app","image":"registry.example.com/app:1.__M__","ports":[{"containerPort":8080,"protocol":"TCP"}],"env":[{"name":"STORAGE_DIR","value":"/data"}],"resources":{"requests":{"cpu":"100m","memory":"128Mi"}},"volumeMounts":[{"name":"data","mountPath":"/data"}],"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],"volumes":[{"name":"data","persistentVolumeClaim":{"claimName":"claim-__I__"}}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","schedulerName":"default-scheduler","securityContext":{}}}},"status":{"observedGeneration":1,"replicas":1,"readyReplicas":1,"availableReplicas":1,"updatedReplicas":1}}
        """);

    private static string StorageClass(int i) => i switch
    {
        0 => """{"metadata":{"name":"gp3","annotations":{"storageclass.kubernetes.io/is-default-class":"true"}},"provisioner":"ebs.csi.aws.com","reclaimPolicy":"Delete","volumeBindingMode":"WaitForFirstConsumer"}""",
        1 => """{"metadata":{"name":"gp2"},"provisioner":"kubernetes.io/aws-ebs","reclaimPolicy":"Delete","volumeBindingMode":"WaitForFirstConsumer"}""",
        _ => """{"metadata":{"name":"efs-sc"},"provisioner":"efs.csi.aws.com","reclaimPolicy":"Delete","volumeBindingMode":"Immediate","parameters":{"provisioningMode":"efs-ap","fileSystemId":"fs-0123456789abcdef0","directoryPerms":"700"}}""",
    };

    private static string Namespace(int i) => Fill(i,
        """{"metadata":{"name":"__NS__","uid":"__G4__","resourceVersion":"__RV3__","labels":{"kubernetes.io/metadata.name":"__NS__"}},"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}}""");

    private static string Guid(int i, int salt) => $"{salt:x8}-0000-4000-8000-{i:x12}";

    private static string Fill(int i, string template) => template
        .Replace("__I__", i.ToString()).Replace("__NS__", Ns(i)).Replace("__M__", (i % 10).ToString())
        .Replace("__G1__", Guid(i, 1)).Replace("__G2__", Guid(i, 2)).Replace("__G3__", Guid(i, 3)).Replace("__G4__", Guid(i, 4))
        .Replace("__RV1__", (500 + i).ToString()).Replace("__RV2__", (600 + i).ToString()).Replace("__RV3__", (i + 1).ToString());

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }
}
