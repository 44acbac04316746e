using BenchmarkDotNet.Running;
using RwxGuard.Benchmarks;

// micro: BenchmarkDotNet over decode/decide/encode. load: the published server under wrk (see LoadBenchmark).
// baseline-server: the bare Kestrel endpoint the load benchmark compares against.
// soak: the published server under a mixed load for a few minutes while the fake API server injects faults (Soak).
return args.FirstOrDefault() switch
{
    "load" => await LoadBenchmark.RunAsync(args[1..]),
    "baseline-server" => await BaselineServer.RunAsync(args[1..]),
    "soak" => await Soak.RunAsync(args[1..]),
    _ => Micro(args.FirstOrDefault() == "micro" ? args[1..] : args),
};

static int Micro(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(AdmissionBenchmarks).Assembly).Run(args.Length == 0 ? ["--filter", "*"] : args);
    return 0;
}
