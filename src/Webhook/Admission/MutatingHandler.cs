using RwxGuard.Cluster;
using RwxGuard.Options;
using RwxGuard.Policies;

namespace RwxGuard.Admission;

/// <summary>
/// /mutate: Policy 2 on PersistentVolumeClaim CREATE. Everything else (UPDATE, DELETE, other kinds) passes untouched.
/// Dry-run requests get exactly the same patch, so <c>kubectl apply --dry-run=server -o yaml</c> shows the result.
/// </summary>
public sealed class MutatingHandler(
    ClaimMutationPolicy policy,
    IClusterView view,
    LiveSettings<MutationOptions> mutation) : IAdmissionHandler
{
    public string Name => "mutate";
    public bool Mutating => true;

    // Settings are read per request, so an edited settings file applies to the next claim; a bad edit is rejected by
    // LiveSettings and the last valid settings stay in force.
    public PolicyResult Handle(AdmissionInput input, PolicyOptions options) =>
        input.Operation == "CREATE" && input.Route.Kind == RouteKind.Claim
            ? policy.EvaluateCreate(input.Claim(old: false), view, mutation.Current, options)
            : PolicyResult.Empty;
}
