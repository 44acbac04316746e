using RwxGuard.Cluster;
using RwxGuard.Options;
using RwxGuard.Policies;
using RwxGuard.Domain;

namespace RwxGuard.Admission;

/// <summary>
/// /mutate: Policy 2 on PersistentVolumeClaim CREATE, and on UPDATE of a claim it changed at creation (so re-applying
/// the original manifest keeps working). Everything else passes untouched.
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
        (input.Route.Kind, input.Operation) switch
        {
            (RouteKind.Claim, "CREATE") => policy.EvaluateCreate(input.Claim(old: false), view, mutation.Current, options),
            (RouteKind.Claim, "UPDATE") when input.HasOldObject => policy.EvaluateUpdate(input.Claim(old: false), input.Claim(old: true)),
            _ => PolicyResult.Empty,
        };
}
