using RwxGuard.Domain;

namespace RwxGuard.Policies;

/// <summary>The claims a pod template mounts, sorted by what the view knows about them.</summary>
internal sealed record ClaimScan(List<ClaimInfo> SingleAttach, List<ClaimInfo> MultiAttach, List<string> Missing, bool Unavailable)
{
    public static ClaimScan Of(string @namespace, IReadOnlyList<string> claimNames, IClusterView view)
    {
        var scan = new ClaimScan([], [], [], false);
        foreach (var name in claimNames)
        {
            var lookup = view.GetClaim(@namespace, name);
            switch (lookup.Outcome)
            {
                case LookupOutcome.Found when lookup.Value!.IsSingleAttach:
                    scan.SingleAttach.Add(lookup.Value);
                    break;
                case LookupOutcome.Found:
                    scan.MultiAttach.Add(lookup.Value!);
                    break;
                case LookupOutcome.NotFound:
                    scan.Missing.Add(name);
                    break;
                default:
                    return scan with { Unavailable = true };
            }
        }
        return scan;
    }
}
