using Microsoft.Extensions.Options;
using RwxGuard.Cluster;
using RwxGuard.Options;
using RwxGuard.Policies;

namespace RwxGuard.Admission;

/// <summary>
/// /mutate: Policy 2 on PersistentVolumeClaim CREATE. Everything else (UPDATE, DELETE, other kinds) passes untouched.
/// Dry-run requests get exactly the same patch, so <c>kubectl apply --dry-run=server -o yaml</c> shows the result.
/// </summary>
public sealed partial class MutatingHandler(
    ClaimMutationPolicy policy,
    IClusterView view,
    IOptionsMonitor<MutationOptions> mutation,
    ILogger<MutatingHandler> logger) : IAdmissionHandler
{
    private MutationOptions? _lastGood;
    private volatile bool _usingLastGood;

    public string Name => "mutate";
    public bool Mutating => true;

    public PolicyResult Handle(AdmissionInput input, PolicyOptions options) =>
        input.Operation == "CREATE" && input.Route.Kind == RouteKind.Claim
            ? policy.EvaluateCreate(input.Claim(old: false), view, Current(), options)
            : PolicyResult.Empty;

    /// <summary>
    /// Read per request, so an edited settings file applies to the next claim. An edit that fails validation is not
    /// applied: the last valid settings stay in force (logged once), instead of failing every claim creation.
    /// </summary>
    private MutationOptions Current()
    {
        try
        {
            var current = mutation.CurrentValue;
            _lastGood = current;
            _usingLastGood = false;
            return current;
        }
        catch (OptionsValidationException e)
        {
            if (!_usingLastGood)
            {
                _usingLastGood = true;
                LogInvalidSettings(string.Join("; ", e.Failures));
            }
            return _lastGood ?? new MutationOptions();
        }
    }

    [LoggerMessage(Level = LogLevel.Error, EventName = "InvalidMutationSettings",
        Message = "reloaded Mutation settings are invalid and were not applied; the last valid settings stay in force: {Errors}")]
    private partial void LogInvalidSettings(string errors);
}
