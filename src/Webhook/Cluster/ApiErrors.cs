using System.Globalization;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace RwxGuard.Cluster;

/// <summary>How the list-then-watch loop reads the errors KubernetesClient reports.</summary>
internal static class ApiErrors
{
    /// <summary>
    /// 410 Gone / Expired: the resourceVersion is older than the server keeps. Arrives as the HTTP status of the watch
    /// request, or as a watch ERROR event whose Status has code 410 (KubernetesClient turns it into a
    /// <see cref="KubernetesException"/> passed to onError).
    /// </summary>
    public static bool IsExpired(Exception e) => e switch
    {
        HttpOperationException { Response.StatusCode: HttpStatusCode.Gone } => true,
        KubernetesException { Status.Code: 410 } => true,
        KubernetesException { Status.Reason: "Expired" or "Gone" } => true,
        _ => false,
    };

    /// <summary>
    /// KubernetesClient reads the first line of a watch response before handing it over; a watch that the server
    /// closes without sending anything (a quiet timeout) surfaces as an EndOfStreamException.
    /// </summary>
    public static bool IsEmptyWatchStream(Exception e)
    {
        for (var current = e; current is not null; current = current.InnerException)
            if (current is EndOfStreamException) return true;
        return false;
    }

    /// <summary>Retry-After of a 429/503 (seconds or an HTTP date), when the server sent one.</summary>
    public static TimeSpan? RetryAfter(Exception e, DateTimeOffset now)
    {
        if (e is not HttpOperationException { Response: { } response }) return null;
        foreach (var (name, values) in response.Headers)
        {
            if (!name.Equals("Retry-After", StringComparison.OrdinalIgnoreCase)) continue;
            var value = values.FirstOrDefault()?.Trim();
            if (string.IsNullOrEmpty(value)) return null;
            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
                return seconds >= 0 ? TimeSpan.FromSeconds(seconds) : null;
            if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
                return date > now ? date - now : TimeSpan.Zero;
            return null;
        }
        return null;
    }

    /// <summary>One line for logs, /readyz and decision messages.</summary>
    public static string Describe(Exception e)
    {
        var text = e switch
        {
            HttpOperationException { Response: { } r } => $"HTTP {(int)r.StatusCode} {r.ReasonPhrase ?? r.StatusCode.ToString()}"
                + (StatusMessage(r.Content) is { } m ? $": {m}" : ""),
            KubernetesException { Status: { } s } => $"watch error {s.Code} {s.Reason}: {s.Message}",
            HttpRequestException h => h.InnerException is { } inner && !h.Message.Contains(inner.Message, StringComparison.Ordinal)
                ? $"{h.Message} ({inner.Message})" : h.Message,
            TimeoutException or OperationCanceledException => "request timed out",
            _ => $"{e.GetType().Name}: {e.Message}",
        };
        text = text.ReplaceLineEndings(" ");
        return text.Length <= 200 ? text : text[..197] + "...";
    }

    private static string? StatusMessage(string? body)
    {
        if (string.IsNullOrWhiteSpace(body) || !body.TrimStart().StartsWith('{')) return null;
        try
        {
            return KubernetesJson.Deserialize<V1Status>(body)?.Message;
        }
        catch (Exception)
        {
            return null;
        }
    }
}
