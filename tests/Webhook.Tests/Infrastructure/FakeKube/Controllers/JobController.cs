using System.Text.Json.Nodes;

namespace RwxGuard.Tests.Infrastructure.FakeKube.Controllers;

/// <summary>One run of a Job's pod: the test decides what it does (or runs the real script) through <see cref="JobController.Runner"/>.</summary>
public sealed class JobRun(FakeKubeApi api, JsonObject job, string pod)
{
    public JsonObject Job { get; } = job;
    public string Pod { get; } = pod;
    public string Namespace => Job.Namespace();

    /// <summary>Appends to the pod's log, as the container writes it (visible to log requests at once).</summary>
    public void Log(string text) => api.AppendLog(Namespace, Pod, text);
}

/// <summary>
/// The Job controller and the kubelet for Job pods: one pod per Job (backoffLimit is taken as 0), Pending until every
/// claim it mounts is Bound (which is when a WaitForFirstConsumer class provisions), then Running while
/// <see cref="Runner"/> works, then Succeeded or Failed; the Job's status follows (active, succeeded, failed, and the
/// Complete or Failed condition). Deleting the Job deletes its pod (garbage collection).
/// </summary>
public sealed class JobController : IFakeController
{
    private readonly HashSet<string> _started = [];

    /// <summary>What the pod does; true = exit code 0. Default: logs one line and succeeds.</summary>
    public Func<JobRun, CancellationToken, Task<bool>> Runner { get; set; } = (run, _) =>
    {
        run.Log("done\n");
        return Task.FromResult(true);
    };

    public void Reconcile(FakeKubeApi api)
    {
        var store = api.Store;
        lock (store.Gate)
        {
            foreach (var job in store.List(ResourceType.Jobs))
            {
                if (job.IsDeleting() || Finished(job)) continue;
                var ns = job.Namespace();
                var pod = store.List(ResourceType.Pods, ns).FirstOrDefault(p => WorkloadController.OwnerUid(p) == job.Uid());
                if (pod is null)
                {
                    pod = store.Create(ResourceType.Pods, ns, NewPod(job));
                    store.Mutate(ResourceType.Jobs, ns, job.Name(), j =>
                    {
                        j.Set("status.active", 1);
                        j.Set("status.startTime", store.Now());
                    });
                }
                if (pod.Str("status.phase") is "Running" or "Succeeded" or "Failed") continue;
                var bound = Obj.ClaimNames(pod["spec"]).All(c => store.Get(ResourceType.Claims, ns, c)?.Str("status.phase") == "Bound");
                if (!bound)
                {
                    store.Mutate(ResourceType.Pods, ns, pod.Name(), p => p.Set("status.phase", "Pending"));
                    continue;
                }
                if (!_started.Add(pod.Uid())) continue;
                store.Mutate(ResourceType.Pods, ns, pod.Name(), p =>
                {
                    p.Set("status.phase", "Running");
                    p.Set("status.startTime", store.Now());
                });
                var run = new JobRun(api, job, pod.Name());
                _ = Task.Run(async () =>
                {
                    bool succeeded;
                    try { succeeded = await Runner(run, CancellationToken.None); }
                    catch (Exception e)
                    {
                        run.Log($"runner threw: {e.Message}\n");
                        succeeded = false;
                    }
                    Complete(store, job, run.Pod, succeeded);
                });
            }
        }
    }

    private static bool Finished(JsonObject job) =>
        (job["status"]?["conditions"] as JsonArray)?.Any(c => c.Str("type") is "Complete" or "Failed" && c.Str("status") == "True") == true;

    private static void Complete(ObjectStore store, JsonObject job, string pod, bool succeeded)
    {
        lock (store.Gate)
        {
            store.Mutate(ResourceType.Pods, job.Namespace(), pod, p => p.Set("status.phase", succeeded ? "Succeeded" : "Failed"));
            store.Mutate(ResourceType.Jobs, job.Namespace(), job.Name(), j =>
            {
                if (j.Uid() != job.Uid()) return;
                var status = j["status"] as JsonObject ?? new JsonObject();
                status.Remove("active");
                status[succeeded ? "succeeded" : "failed"] = 1;
                if (succeeded) status["completionTime"] = store.Now();
                status["conditions"] = new JsonArray(new JsonObject
                {
                    ["type"] = succeeded ? "Complete" : "Failed",
                    ["status"] = "True",
                    ["reason"] = succeeded ? null : "BackoffLimitExceeded",
                    ["message"] = succeeded ? null : "Job has reached the specified backoff limit",
                    ["lastTransitionTime"] = store.Now(),
                });
                j["status"] = status;
            });
        }
    }

    private static JsonObject NewPod(JsonObject job)
    {
        var template = job["spec"]?["template"] as JsonObject ?? new JsonObject();
        var labels = template["metadata"]?["labels"]?.DeepClone() as JsonObject ?? new JsonObject();
        labels["job-name"] = job.Name();
        labels["batch.kubernetes.io/job-name"] = job.Name();
        labels["controller-uid"] = job.Uid();
        return new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["generateName"] = job.Name() + "-",
                ["labels"] = labels,
                ["ownerReferences"] = new JsonArray(new JsonObject
                {
                    ["apiVersion"] = "batch/v1", ["kind"] = "Job", ["name"] = job.Name(), ["uid"] = job.Uid(), ["controller"] = true,
                }),
            },
            ["spec"] = template["spec"]?.DeepClone(),
            ["status"] = new JsonObject { ["phase"] = "Pending" },
        };
    }
}

/// <summary>Garbage collection: pods whose controller (by uid) no longer exists are deleted.</summary>
public sealed class GarbageCollector : IFakeController
{
    public void Reconcile(FakeKubeApi api)
    {
        var store = api.Store;
        lock (store.Gate)
        {
            var owners = new HashSet<string>(new[] { ResourceType.Deployments, ResourceType.StatefulSets, ResourceType.Jobs }
                .SelectMany(t => store.List(t)).Select(o => o.Uid()));
            foreach (var pod in store.List(ResourceType.Pods))
            {
                if (pod.IsDeleting() || WorkloadController.OwnerUid(pod) is not { } owner || owners.Contains(owner)) continue;
                store.Mutate(ResourceType.Pods, pod.Namespace(), pod.Name(), p => p.SetFinalizers(p.Finalizers().Append("fake.kube/grace-period").Distinct()));
                store.Delete(ResourceType.Pods, pod.Namespace(), pod.Name());
            }
        }
    }
}

/// <summary>The CSI snapshotter: a VolumeSnapshot of a claim becomes readyToUse when a VolumeSnapshotClass (named, or
/// the default one) exists for the driver of the claim's volume; otherwise its status carries the error.</summary>
public sealed class SnapshotController : IFakeController
{
    public void Reconcile(FakeKubeApi api)
    {
        var store = api.Store;
        lock (store.Gate)
        {
            foreach (var snapshot in store.List(ResourceType.VolumeSnapshots))
            {
                if (snapshot.At("status.readyToUse") is not null) continue;
                var ns = snapshot.Namespace();
                var claim = store.Get(ResourceType.Claims, ns, snapshot.Str("spec.source.persistentVolumeClaimName") ?? "");
                var driver = claim is null ? null : store.Get(ResourceType.Volumes, null, claim.Str("spec.volumeName") ?? "")?.Str("spec.csi.driver");
                var classes = store.List(ResourceType.VolumeSnapshotClasses);
                var named = snapshot.Str("spec.volumeSnapshotClassName");
                var snapshotClass = named is not null
                    ? classes.FirstOrDefault(c => c.Name() == named)
                    : classes.FirstOrDefault(c => c.Str("driver") == driver && c.Annotations().GetValueOrDefault("snapshot.storage.kubernetes.io/is-default-class") == "true");
                store.Mutate(ResourceType.VolumeSnapshots, ns, snapshot.Name(), s =>
                {
                    if (claim is null || snapshotClass is null || snapshotClass.Str("driver") != driver)
                    {
                        s["status"] = new JsonObject
                        {
                            ["readyToUse"] = false,
                            ["error"] = new JsonObject { ["message"] = claim is null ? "source claim not found" : $"no VolumeSnapshotClass for driver {driver}", ["time"] = store.Now() },
                        };
                        return;
                    }
                    s.Set("spec.volumeSnapshotClassName", snapshotClass.Name());
                    s["status"] = new JsonObject
                    {
                        ["readyToUse"] = true,
                        ["boundVolumeSnapshotContentName"] = "snapcontent-" + s.Uid(),
                        ["creationTime"] = store.Now(),
                        ["restoreSize"] = claim.Str("status.capacity.storage"),
                    };
                });
            }
        }
    }
}
