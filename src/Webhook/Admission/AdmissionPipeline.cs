using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using RwxGuard.Cluster;
using RwxGuard.Options;
using RwxGuard.Policies;
using RwxGuard.Telemetry;
using RwxGuard.Domain;

namespace RwxGuard.Admission;

/// <summary>
/// One admission call end to end: limits and content type, decode, handler, enforcement mode, encode. Every path
/// answers with an AdmissionReview; nothing escapes as a 500 page or a dropped connection.
/// </summary>
public sealed partial class AdmissionPipeline(
    IOptionsMonitor<ServerOptions> server,
    LiveSettings<PolicyOptions> policy,
    IClusterView view,
    WebhookMetrics metrics,
    ILogger<AdmissionPipeline> logger)
{
    public async Task HandleAsync(HttpContext http, IAdmissionHandler handler)
    {
        var started = Stopwatch.GetTimestamp();
        var limit = server.CurrentValue.MaxRequestBodyBytes;
        using var span = WebhookMetrics.ActivitySource.StartActivity($"admission {handler.Name}", ActivityKind.Server);

        if (!IsJson(http.Request.ContentType))
        {
            await WriteFailureAsync(http, handler, new AdmissionFailure(415,
                $"Content-Type must be application/json, got '{http.Request.ContentType ?? "(none)"}'"), started);
            return;
        }
        if (http.Request.ContentLength > limit)
        {
            // Rejected before reading a byte of it.
            await WriteFailureAsync(http, handler, new AdmissionFailure(413,
                $"request body of {http.Request.ContentLength} bytes exceeds the limit of {limit} bytes"), started);
            return;
        }

        var reader = http.Request.BodyReader;
        ReadResult read;
        try
        {
            read = await ReadWholeBodyAsync(reader, limit, http.RequestAborted);
        }
        catch (BadHttpRequestException e)
        {
            await WriteFailureAsync(http, handler, new AdmissionFailure(e.StatusCode == 413 ? 413 : 400,
                e.StatusCode == 413 ? $"request body exceeds the limit of {limit} bytes" : $"bad request body: {e.Message}"), started);
            return;
        }
        catch (BodyTooLargeException)
        {
            await WriteFailureAsync(http, handler,
                new AdmissionFailure(413, $"request body exceeds the limit of {limit} bytes"), started);
            return;
        }

        // Kestrel hands the body over in 4 KB blocks. Utf8JsonReader over a multi-segment sequence takes its slow path
        // for every token (profiled: half the CPU of a 7 KB Deployment CREATE went to it), so a body that did not
        // arrive in one block is copied into one pooled array first: a memcpy of a few KB costs far less.
        var body = read.Buffer;
        byte[]? rented = null;
        if (!body.IsSingleSegment)
        {
            rented = ArrayPool<byte>.Shared.Rent(checked((int)body.Length));
            body.CopyTo(rented);
            body = new ReadOnlySequence<byte>(rented, 0, (int)body.Length);
        }
        byte[] payload;
        Outcome outcome;
        try
        {
            (payload, outcome) = Decide(body, handler);
        }
        finally
        {
            reader.AdvanceTo(read.Buffer.End);
            // Nothing decided keeps a reference into the body: the outcome holds strings only.
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }

        http.Response.StatusCode = outcome.HttpStatus;
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = payload.Length;
        await http.Response.Body.WriteAsync(payload, http.RequestAborted);
        LogDecision(outcome, handler, started);
    }

    /// <summary>Synchronous and in memory: decoding, the policy and encoding never wait on anything.</summary>
    private (byte[] Payload, Outcome Outcome) Decide(ReadOnlySequence<byte> body, IAdmissionHandler handler)
    {
        AdmissionReview? review;
        AdmissionFailure? failure;
        using (WebhookMetrics.ActivitySource.StartActivity("decode"))
            (review, failure) = AdmissionCodec.Decode(body);
        if (failure is not null)
        {
            var failed = new Outcome(failure.HttpStatus, failure.Uid, UnknownLabel, UnknownLabel, null, null, false, "error", [], failure.Message,
                policy.Current.Mode);
            return (AdmissionCodec.Encode(failure.ApiVersion, AdmissionDecision.Errored(failure.Uid ?? "", failure.HttpStatus, failure.Message)), failed);
        }
        Activity.Current?.SetTag("k8s.admission.uid", review!.Request!.Uid);

        var request = review!.Request!;
        var uid = request.Uid!;
        var input = new AdmissionInput(request, body);
        var options = policy.Current;
        var mode = EnforcementModes.Resolve(options, request.Namespace, view);
        AdmissionResponse response;
        string decision;
        IReadOnlyList<Finding> findings = [];
        string? error = null;
        var decide = WebhookMetrics.ActivitySource.StartActivity("decide");
        try
        {
            var result = handler.Handle(input, options);
            response = AdmissionDecision.From(uid, result, mode, handler.Mutating);
            findings = result.Findings;
            decision = !response.Allowed ? "denied" : response.Patch is not null ? "patched" : "allowed";
        }
        catch (BadObjectException e)
        {
            response = AdmissionDecision.Errored(uid, 400, e.Message);
            decision = "error";
            error = e.Message;
        }
        catch (Exception e)
        {
            // A bug must not become a dropped connection: answer, and keep the details in the log.
            LogInternalError(e, uid);
            response = AdmissionDecision.Errored(uid, 500, $"internal error in rwx-guard while deciding request {uid}; see its logs");
            decision = "error";
            error = e.GetType().Name;
        }
        finally
        {
            decide?.Dispose();
        }

        var outcome = new Outcome(200, uid, input.Route.Label, input.Operation, request.Namespace, request.Name, request.DryRun == true, decision, findings,
            error, mode.Mode);
        using (WebhookMetrics.ActivitySource.StartActivity("encode"))
            return (AdmissionCodec.Encode(review.ApiVersion, response), outcome);
    }

    private static async Task<ReadResult> ReadWholeBodyAsync(PipeReader reader, long limit, CancellationToken cancellation)
    {
        while (true)
        {
            var read = await reader.ReadAsync(cancellation);
            if (read.Buffer.Length > limit)
            {
                reader.AdvanceTo(read.Buffer.End);
                throw new BodyTooLargeException();
            }
            if (read.IsCompleted) return read;
            // Not the end of the body. IsCanceled is not either: nothing here cancels reads, but Kestrel does when it
            // stops (graceful shutdown), and a request in flight then must still be read whole, not decided on a part.
            // Nothing consumed yet: ask for more while keeping what arrived.
            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }

    private async Task WriteFailureAsync(HttpContext http, IAdmissionHandler handler, AdmissionFailure failure, long started)
    {
        var payload = AdmissionCodec.Encode(failure.ApiVersion, AdmissionDecision.Errored(failure.Uid ?? "", failure.HttpStatus, failure.Message));
        http.Response.StatusCode = failure.HttpStatus;
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = payload.Length;
        await http.Response.Body.WriteAsync(payload, http.RequestAborted);
        LogDecision(new Outcome(failure.HttpStatus, failure.Uid, UnknownLabel, UnknownLabel, null, null, false, "error", [], failure.Message,
            policy.Current.Mode), handler, started);
    }

    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media)
        && media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase);

    /// <summary>The one place a decision is recorded: metrics, span tags and one log line.</summary>
    private void LogDecision(Outcome outcome, IAdmissionHandler handler, long started)
    {
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var elapsed = Math.Round(seconds * 1000, 3); // microseconds are enough, and JSON then prints 0.044, not 0.0437000…
        var kind = outcome.Kind;
        var operation = outcome.Operation;
        var mode = EnforcementModes.Label(outcome.Mode);
        var tags = new TagList
        {
            { "webhook", handler.Name }, { "operation", operation }, { "kind", kind },
            { "decision", outcome.Decision }, { "mode", mode }, { "dry_run", outcome.DryRun },
        };
        metrics.Requests.Add(1, tags);
        metrics.Duration.Record(seconds, tags);
        foreach (var finding in outcome.Findings)
            metrics.PolicyResults.Add(1, new TagList
            {
                { "rule", finding.Rule }, { "result", finding.Kind == FindingKind.Violation ? "violation" : "warning" },
                { "kind", kind }, { "mode", mode },
            });
        if (outcome.Decision == "patched") metrics.Patches.Add(1, new TagList { { "kind", kind }, { "dry_run", outcome.DryRun } });
        Activity.Current?.SetTag("k8s.admission.decision", outcome.Decision);

        var target = outcome.Namespace is null ? outcome.Name ?? "" : $"{outcome.Namespace}/{outcome.Name}";
        if (outcome.Decision == "error")
            LogError(handler.Name, outcome.Uid ?? "", kind, target, operation, outcome.HttpStatus, outcome.Error ?? "", elapsed);
        else
            LogDecided(handler.Name, outcome.Uid!, kind, target, operation, outcome.Decision,
                string.Join(",", outcome.Findings.Select(f => f.Rule).Distinct()), mode, outcome.DryRun, elapsed);
    }


    [LoggerMessage(Level = LogLevel.Information, EventName = "AdmissionDecision",
        Message = "{Webhook} uid={Uid} kind={Kind} object={Target} operation={Operation} decision={Decision} rules={Rules} mode={Mode} dryRun={DryRun} durationMs={DurationMs}")]
    private partial void LogDecided(string webhook, string uid, string kind, string target, string operation, string decision,
        string rules, string mode, bool dryRun, double durationMs);

    [LoggerMessage(Level = LogLevel.Warning, EventName = "AdmissionError",
        Message = "{Webhook} uid={Uid} kind={Kind} object={Target} operation={Operation} status={Status} error={Error} durationMs={DurationMs}")]
    private partial void LogError(string webhook, string uid, string kind, string target, string operation, int status,
        string error, double durationMs);

    [LoggerMessage(Level = LogLevel.Error, EventName = "AdmissionInternalError", Message = "internal error deciding uid={Uid}")]
    private partial void LogInternalError(Exception exception, string uid);

    private const string UnknownLabel = "unknown";

    /// <param name="Kind">The route's metric label (Deployment, Scale …).</param>
    private sealed record Outcome(int HttpStatus, string? Uid, string Kind, string Operation, string? Namespace, string? Name,
        bool DryRun, string Decision, IReadOnlyList<Finding> Findings, string? Error, EnforcementMode Mode);

    private sealed class BodyTooLargeException : Exception;
}
