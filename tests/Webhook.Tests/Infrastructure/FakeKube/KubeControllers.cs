using RwxGuard.Tests.Infrastructure.FakeKube.Controllers;

namespace RwxGuard.Tests.Infrastructure.FakeKube;

/// <summary>The usual set: admission plugins plus the volume, workload, job, garbage-collection and snapshot controllers.</summary>
public sealed class KubeControllers
{
    public PersistentVolumeController Volumes { get; } = new();
    public WorkloadController Workloads { get; } = new();
    public JobController Jobs { get; } = new();

    public static KubeControllers Install(FakeKubeApi api)
    {
        var controllers = new KubeControllers();
        PersistentVolumeController.AddAdmissionPlugins(api.Store);
        api.Controllers.AddRange([controllers.Volumes, controllers.Workloads, controllers.Jobs, new GarbageCollector(), new SnapshotController()]);
        return controllers;
    }
}
