using System.Runtime;
using Microsoft.Extensions.Logging;

namespace RwxGuard.Cluster;

/// <summary>
/// Gives back the memory the initial sync used. The first lists deserialize every claim and workload of the cluster
/// as full API objects (managedFields and all) before reducing them to a few hundred bytes each; the garbage collector
/// then keeps the heap it grew for that committed, and the process carries several times its live data for the rest
/// of its life. One aggressive, compacting collection when the last cache has synced returns it to the OS. It runs
/// once, on a cluster-view loop thread, before any admission traffic normally arrives (the readiness probe has not
/// passed yet), and costs one pause proportional to the live data (tens of milliseconds for 10k+10k objects).
/// </summary>
internal static partial class StartupMemory
{
    public static void Return(ILogger logger, ClusterView view)
    {
        var before = GC.GetGCMemoryInfo();
        var started = TimeProvider.System.GetTimestamp();
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var after = GC.GetGCMemoryInfo(GCKind.Any);
        Log(logger, view.GetStats().Caches.Sum(r => r.Objects), Mb(before.TotalCommittedBytes), Mb(after.TotalCommittedBytes),
            Mb(after.HeapSizeBytes), TimeProvider.System.GetElapsedTime(started).TotalMilliseconds);
    }

    private static long Mb(long bytes) => bytes / (1024 * 1024);

    [LoggerMessage(EventId = 1020, Level = LogLevel.Information,
        Message = "Cluster view synced ({Objects} objects): GC heap committed {BeforeMb} MB → {AfterMb} MB, live {LiveMb} MB, after a {PauseMs:0} ms compaction")]
    private static partial void Log(ILogger logger, int objects, long beforeMb, long afterMb, long liveMb, double pauseMs);
}
