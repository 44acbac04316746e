using System.Buffers;
using BenchmarkDotNet.Attributes;
using RwxGuard.Admission;
using RwxGuard.Options;
using RwxGuard.Policies;

namespace RwxGuard.Benchmarks;

/// <summary>Decode, decide and encode of each request kind, with allocations (no HTTP, no TLS).</summary>
[MemoryDiagnoser]
public class AdmissionBenchmarks
{
    private readonly SeededClusterView _view = new(10_000);
    private readonly PolicyOptions _options = new();
    private ValidatingHandler _validating = null!;
    private ReadOnlySequence<byte> _body;
    private AdmissionReview _review = null!;
    private AdmissionResponse _response = null!;

    [Params("DeploymentCreate", "DeploymentCreateWithoutLastApplied", "ScaleUpdate", "ClaimCreate")]
    public string Request { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _validating = new ValidatingHandler(new ReplicatedWorkloadPolicy(), _view);
        _body = new ReadOnlySequence<byte>(Request switch
        {
            "DeploymentCreate" => Requests.DeploymentCreate("ns-7", "app-7", "claim-7"),
            "DeploymentCreateWithoutLastApplied" => Requests.DeploymentCreate("ns-7", "app-7", "claim-7", lastApplied: false),
            "ScaleUpdate" => Requests.ScaleUpdate("ns-7", "app-7", 3),
            _ => Requests.ClaimCreate("ns-7", "new-claim"),
        });
        _review = AdmissionCodec.Decode(_body).Review!;
        _response = Decide();
    }

    [Benchmark]
    public AdmissionReview? Decode() => AdmissionCodec.Decode(_body).Review;

    [Benchmark]
    public AdmissionResponse Decide()
    {
        var input = new AdmissionInput(_review.Request!, _body);
        var result = _validating.Handle(input, _options);
        return AdmissionDecision.From(_review.Request!.Uid!, result, _options.Mode);
    }

    [Benchmark]
    public byte[] Encode() => AdmissionCodec.Encode(_review.ApiVersion, _response);

    [Benchmark]
    public byte[] DecodeDecideEncode()
    {
        var review = AdmissionCodec.Decode(_body).Review!;
        var input = new AdmissionInput(review.Request!, _body);
        var response = AdmissionDecision.From(review.Request!.Uid!, _validating.Handle(input, _options), _options.Mode);
        return AdmissionCodec.Encode(review.ApiVersion, response);
    }
}
