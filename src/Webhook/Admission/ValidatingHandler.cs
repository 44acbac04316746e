using RwxGuard.Cluster;
using RwxGuard.Options;
using RwxGuard.Policies;
using RwxGuard.Domain;

namespace RwxGuard.Admission;

/// <summary>/validate: routes every entry point of Policy 1 to the policy. DELETE, CONNECT and other kinds pass untouched.</summary>
public sealed class ValidatingHandler(ReplicatedWorkloadPolicy policy, IClusterView view) : IAdmissionHandler
{
    public string Name => "validate";

    public Verdict Handle(AdmissionInput input, PolicyOptions options) => Verdict.Of(Evaluate(input, options));

    private PolicyResult Evaluate(AdmissionInput input, PolicyOptions options)
    {
        if (!input.IsCreateOrUpdate) return PolicyResult.Empty;
        var update = input.Operation == "UPDATE";
        return input.Route.Kind switch
        {
            RouteKind.Workload => policy.EvaluateWorkload(input.Workload(old: false),
                update && input.HasOldObject ? input.Workload(old: true) : null, view, options),
            RouteKind.Scale when update => policy.EvaluateScale(input.Scale(old: false),
                input.HasOldObject ? input.Scale(old: true) : null, view, options),
            RouteKind.Autoscaler => policy.EvaluateAutoscaler(input.Autoscaler(old: false),
                update && input.HasOldObject ? input.Autoscaler(old: true) : null, view, options),
            RouteKind.Claim when !update => policy.EvaluateClaimCreate(input.Claim(old: false), view, options),
            _ => PolicyResult.Empty,
        };
    }
}
