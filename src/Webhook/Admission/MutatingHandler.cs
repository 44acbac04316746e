using RwxGuard.Domain;
using RwxGuard.Options;
using RwxGuard.Policies;

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

    // Settings are read per request, so an edited settings file applies to the next claim; a bad edit is rejected by
    // LiveSettings and the last valid settings stay in force.
    public Verdict Handle(AdmissionInput input, PolicyOptions options)
    {
        if (input.Route.Kind != RouteKind.Claim) return Verdict.None;
        switch (input.Operation)
        {
            case "CREATE":
                var created = input.Claim(old: false);
                return Verdict.Of(created, policy.EvaluateCreate(created, view, mutation.Current, options));
            case "UPDATE" when input.HasOldObject:
                var updated = input.Claim(old: false);
                return Verdict.Of(updated, policy.EvaluateUpdate(updated, input.Claim(old: true)));
            default:
                return Verdict.None;
        }
    }
}
