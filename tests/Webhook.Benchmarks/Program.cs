using BenchmarkDotNet.Running;
using RwxGuard.Benchmarks;
using RwxGuard.Benchmarks.Shape;

// micro: BenchmarkDotNet over decode/decide/encode. load: the published server under wrk (see LoadBenchmark).
// shape: issue 16's figures: the realistic cluster shape (and 10×), paged/unpaged/WatchList, mixed load with the
// reporter on, wrk per request, the baseline beside it, sizing rows (see ShapeBenchmark; `shape --help`).
// baseline-server: the bare Kestrel endpoint the load benchmark compares against.
// soak: the published server under a mixed load for a few minutes while the fake API server injects faults (Soak).
// daemonsets: what watching DaemonSets costs (memory after sync, sync time, idle CPU), 0 versus N of them.
// fake-api: only the fake API server, with a kubeconfig for it, for profiling the webhook by hand (README, Performance).
// audit-input: hostile and large inputs through `webhook audit` as a process (docs/reliability.md; --dll for another build).
return args.FirstOrDefault() switch
{
    "load" => await LoadBenchmark.RunAsync(args[1..]),
    "shape" => await ShapeBenchmark.RunAsync(args[1..]),
    "baseline-server" => await BaselineServer.RunAsync(args[1..]),
    "soak" => await Soak.RunAsync(args[1..]),
    "fake-api" => await ServeFakeApiAsync(args[1..]),
    "audit-input" => await AuditInputBenchmark.RunAsync(args[1..]),
    "daemonsets" => await DaemonSetCost.RunAsync(args[1..]),
    _ => Micro(args.FirstOrDefault() == "micro" ? args[1..] : args),
};

static int Micro(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(AdmissionBenchmarks).Assembly).Run(args.Length == 0 ? ["--filter", "*"] : args);
    return 0;
}

static async Task<int> ServeFakeApiAsync(string[] args)
{
    // --scale N: the realistic shape times N; --count N: N claims + N Deployments (the first load benchmark's cluster).
    var shape = Harness.Arg(args, "--count") is { } count
        ? ClusterShape.DeploymentsAndClaims(int.Parse(count))
        : ClusterShape.Realistic(Harness.DoubleArg(args, "--scale", 1));
    await using var api = new FakeApiServer(shape, Harness.IntArg(args, "--port", 0))
    {
        Lists = Harness.Arg(args, "--lists") == "unpaged" ? ListServing.Unpaged : ListServing.Paged,
        WatchList = Harness.Arg(args, "--watchlist") switch
        {
            null or "streams" => WatchListSupport.Streams,
            "gate-off" => WatchListSupport.GateOff,
            "before-1.27" => WatchListSupport.Before127,
            var other => throw new ArgumentException($"--watchlist: {other} is not streams, gate-off or before-1.27"),
        },
        EventInterval = TimeSpan.FromMilliseconds(Harness.IntArg(args, "--event-interval-ms", 0)),
    };
    await api.StartAsync();
    var work = Harness.Arg(args, "--dir") is { } dir ? Directory.CreateDirectory(dir).FullName : Directory.CreateTempSubdirectory("rwx-guard-fake-api-").FullName;
    Console.WriteLine($"fake API server on {api.Address} ({shape.Describe()}; lists {api.Lists}, WatchList {api.WatchList}); " +
                      $"kubeconfig {Harness.WriteKubeconfig(work, api.Address)}; Ctrl-C stops it");
    // The fake API's own host takes SIGTERM/SIGINT to stop itself only; these end the program.
    var stop = new TaskCompletionSource();
    using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, _ => stop.TrySetResult());
    using var interrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, _ => stop.TrySetResult());
    await stop.Task;
    return 0;
}
