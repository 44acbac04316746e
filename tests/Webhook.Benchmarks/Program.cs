using BenchmarkDotNet.Running;
using RwxGuard.Benchmarks;

// micro: BenchmarkDotNet over decode/decide/encode. load: the published server under wrk (see LoadBenchmark).
// baseline-server: the bare Kestrel endpoint the load benchmark compares against.
// soak: the published server under a mixed load for a few minutes while the fake API server injects faults (Soak).
// daemonsets: what watching DaemonSets costs (memory after sync, sync time, idle CPU), 0 versus N of them.
// fake-api: only the fake API server, with a kubeconfig for it, for profiling the webhook by hand (see results.md).
// audit-input: hostile and large inputs through `webhook audit` as a process (docs/reliability.md; --dll for another build).
return args.FirstOrDefault() switch
{
    "load" => await LoadBenchmark.RunAsync(args[1..]),
    "baseline-server" => await BaselineServer.RunAsync(args[1..]),
    "soak" => await Soak.RunAsync(args[1..]),
    "daemonsets" => await DaemonSetCost.RunAsync(args[1..]),
    "fake-api" => await ServeFakeApiAsync(args[1..]),
    "audit-input" => await AuditInputBenchmark.RunAsync(args[1..]),
    _ => Micro(args.FirstOrDefault() == "micro" ? args[1..] : args),
};

static int Micro(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(AdmissionBenchmarks).Assembly).Run(args.Length == 0 ? ["--filter", "*"] : args);
    return 0;
}

static async Task<int> ServeFakeApiAsync(string[] args)
{
    await using var api = new FakeApiServer(Harness.IntArg(args, "--count", 10_000), Harness.IntArg(args, "--port", 0))
    {
        DaemonSets = Harness.IntArg(args, "--daemonsets", 0),
    };
    await api.StartAsync();
    var work = Harness.Arg(args, "--dir") ?? Directory.CreateTempSubdirectory("rwx-guard-fake-api-").FullName;
    Console.WriteLine($"fake API server on {api.Address}; kubeconfig {Harness.WriteKubeconfig(work, api.Address)}; Ctrl-C stops it");
    // The fake API's own host takes SIGTERM/SIGINT to stop itself only; these end the program.
    var stop = new TaskCompletionSource();
    using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, _ => stop.TrySetResult());
    using var interrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, _ => stop.TrySetResult());
    await stop.Task;
    return 0;
}
