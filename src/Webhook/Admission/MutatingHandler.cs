using Microsoft.Extensions.Options;
using RwxGuard.Cluster;
using RwxGuard.Options;
using RwxGuard.Policies;

namespace RwxGuard.Admission;

/// <summary>
/// /mutate: Policy 2 on PersistentVolumeClaim CREATE. Everything else (UPDATE, DELETE, other kinds) passes untouched.
/// Dry-run requests get exactly the same patch, so <c>kubectl apply --dry-run=server -o yaml</c> shows the result.
/// </summary>
public sealed class MutatingHandler(ClaimMutationPolicy policy, IClusterView view, IOptionsMonitor<MutationOptions> mutation)
    : IAdmissionHandler
{
    public string Name => "mutate";
    public bool Mutating => true;

    public PolicyResult Handle(AdmissionInput input, PolicyOptions options) =>
        input.Operation == "CREATE" && input.Route.Kind == RouteKind.Claim
            // Read per request: a reloaded settings file applies to the next claim.
            ? policy.EvaluateCreate(input.Claim(old: false), view, mutation.CurrentValue, options)
            : PolicyResult.Empty;
}
