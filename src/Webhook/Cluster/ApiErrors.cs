using System.Net;

namespace RwxGuard.Cluster;

/// <summary>How the list-then-watch loop reads the errors of a list or a watch.</summary>
internal static class ApiErrors
{
    /// <summary>
    /// 410 Gone / Expired: the resourceVersion is older than the server keeps. Arrives as the HTTP status of the watch
    /// request, or as an ERROR event whose Status has code 410.
    /// </summary>
    public static bool IsExpired(Exception e) => e is ApiException a
        && (a.StatusCode == HttpStatusCode.Gone || a.Status?.Reason is "Expired" or "Gone");

    /// <summary>
    /// A watch-list refused as something the server does not do (400, 403 for a verb, 404, 405, 422 "Invalid": the
    /// WatchList feature is off or unknown). Throttling, 410 and server errors are transient, not a refusal.
    /// </summary>
    public static bool IsRefusal(Exception e) => e is ApiException { StatusCode: var code }
        && (int)code is >= 400 and < 500 && code is not (HttpStatusCode.Gone or HttpStatusCode.TooManyRequests
            or HttpStatusCode.Unauthorized or HttpStatusCode.RequestTimeout);

    /// <summary>Retry-After of a 429/503, when the server sent one.</summary>
    public static TimeSpan? RetryAfter(Exception e) => (e as ApiException)?.RetryAfter;

    /// <summary>One line for logs, /readyz and decision messages.</summary>
    public static string Describe(Exception e)
    {
        var text = e switch
        {
            ApiException a => a.Message,
            HttpRequestException h => h.InnerException is { } inner && !h.Message.Contains(inner.Message, StringComparison.Ordinal)
                ? $"{h.Message} ({inner.Message})" : h.Message,
            TimeoutException or OperationCanceledException => "request timed out",
            _ => $"{e.GetType().Name}: {e.Message}",
        };
        text = text.ReplaceLineEndings(" ");
        return text.Length <= 200 ? text : text[..197] + "...";
    }
}
