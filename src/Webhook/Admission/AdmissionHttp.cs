using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using Microsoft.Net.Http.Headers;
using RwxGuard.Options;
using RwxGuard.Telemetry;

namespace RwxGuard.Admission;

/// <summary>
/// The HTTP shell of /validate and /mutate: content type, size limit, the whole body in one buffer, the answer written
/// back. What to answer is <see cref="AdmissionDecider"/>'s; <see cref="DecisionRecorder"/> records it. Every path
/// answers with an AdmissionReview; nothing escapes as a 500 page or a dropped connection.
/// </summary>
public sealed class AdmissionHttp(ServerOptions server, AdmissionDecider decider, DecisionRecorder recorder)
{
    public async Task HandleAsync(HttpContext http, IAdmissionHandler handler)
    {
        var started = Stopwatch.GetTimestamp();
        using var span = WebhookMetrics.ActivitySource.StartActivity($"admission {handler.Name}", ActivityKind.Server);
        var decided = await DecideAsync(http, handler);
        http.Response.StatusCode = decided.HttpStatus;
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = decided.Payload.Length;
        await http.Response.Body.WriteAsync(decided.Payload, http.RequestAborted);
        recorder.Record(handler.Name, decided.Record, started);
    }

    private async Task<Decided> DecideAsync(HttpContext http, IAdmissionHandler handler)
    {
        var limit = server.MaxRequestBodyBytes;
        if (!IsJson(http.Request.ContentType))
            return decider.Fail(new AdmissionFailure(415, $"Content-Type must be application/json, got '{http.Request.ContentType ?? "(none)"}'"));
        if (http.Request.ContentLength > limit) // refused before reading a byte of it
            return decider.Fail(new AdmissionFailure(413, $"request body of {http.Request.ContentLength} bytes exceeds the limit of {limit} bytes"));

        var reader = http.Request.BodyReader;
        ReadResult read;
        try
        {
            read = await ReadWholeBodyAsync(reader, limit, http.RequestAborted);
        }
        catch (BadHttpRequestException e)
        {
            return decider.Fail(e.StatusCode == 413
                ? new AdmissionFailure(413, $"request body exceeds the limit of {limit} bytes")
                : new AdmissionFailure(400, $"bad request body: {e.Message}"));
        }
        catch (BodyTooLargeException)
        {
            return decider.Fail(new AdmissionFailure(413, $"request body exceeds the limit of {limit} bytes"));
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
        try
        {
            return decider.Decide(body, handler);
        }
        finally
        {
            reader.AdvanceTo(read.Buffer.End);
            // Nothing decided keeps a reference into the body: the answer holds bytes and strings only.
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
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

    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media)
        && media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase);

    private sealed class BodyTooLargeException : Exception;
}
