using System.Buffers;
using System.Diagnostics;
using RwxGuard.Domain;
using RwxGuard.Options;
using RwxGuard.Policies;
using RwxGuard.Telemetry;

namespace RwxGuard.Admission;

/// <summary>
/// From a request body to the encoded answer: decode, enforcement mode, the webhook's handler, encode. Synchronous and
/// in memory (no I/O, no waiting), and total: every input ends in an AdmissionReview, a bug included.
/// </summary>
public sealed partial class AdmissionDecider(LiveSettings<PolicyOptions> policy, IClusterView view, ILogger<AdmissionDecider> logger)
{
    public Decided Decide(ReadOnlySequence<byte> body, IAdmissionHandler handler)
    {
        AdmissionReview? review;
        AdmissionFailure? failure;
        using (WebhookMetrics.ActivitySource.StartActivity("decode"))
            (review, failure) = AdmissionCodec.Decode(body);
        if (failure is not null) return Fail(failure);

        var request = review!.Request!;
        var uid = request.Uid!;
        Activity.Current?.SetTag("k8s.admission.uid", uid);
        var input = new AdmissionInput(request, body);
        var options = policy.Current;
        var mode = EnforcementModes.Resolve(options, request.Namespace, view);

        AdmissionResponse response;
        string decision;
        IReadOnlyList<Finding> findings = [];
        string? error = null;
        using (WebhookMetrics.ActivitySource.StartActivity("decide"))
        {
            try
            {
                var verdict = handler.Handle(input, options);
                response = AdmissionDecision.From(uid, verdict, mode);
                decision = verdict.Decision(mode.Mode);
                findings = verdict.Findings;
            }
            catch (BadObjectException e)
            {
                response = AdmissionDecision.Errored(uid, 400, e.Message);
                decision = Decisions.Error;
                error = e.Message;
            }
            catch (Exception e)
            {
                // A bug must not become a dropped connection: answer, and keep the details in the log.
                LogInternalError(e, uid);
                response = AdmissionDecision.Errored(uid, 500, $"internal error in rwx-guard while deciding request {uid}; see its logs");
                decision = Decisions.Error;
                error = e.GetType().Name;
            }
        }

        var record = new DecisionRecord(200, uid, input.Route.Label, input.Operation, request.Namespace, request.Name,
            request.DryRun == true, decision, findings, error, mode.Mode);
        using (WebhookMetrics.ActivitySource.StartActivity("encode"))
            return new Decided(200, AdmissionCodec.Encode(review.ApiVersion, response), record);
    }

    /// <summary>The one place an unusable request is answered: an error review with the HTTP status it earned.</summary>
    public Decided Fail(AdmissionFailure failure) => new(failure.HttpStatus,
        AdmissionCodec.Encode(failure.ApiVersion, AdmissionDecision.Errored(failure.Uid ?? "", failure.HttpStatus, failure.Message)),
        DecisionRecord.Failed(failure.HttpStatus, failure.Uid, failure.Message, policy.Current.Mode));

    [LoggerMessage(Level = LogLevel.Error, EventName = "AdmissionInternalError", Message = "internal error deciding uid={Uid}")]
    private partial void LogInternalError(Exception exception, string uid);
}
