using System.Globalization;
using System.Net;
using System.Text.Json;
using k8s;

namespace RwxGuard.Cluster;

/// <summary>An API answer other than 2xx, with the Status the server sent (when it sent one).</summary>
public sealed class ApiException(HttpStatusCode statusCode, string? reasonPhrase, ApiStatus? status, TimeSpan? retryAfter)
    : Exception($"HTTP {(int)statusCode} {reasonPhrase ?? statusCode.ToString()}" + (status?.Message is { Length: > 0 } m ? $": {m}" : ""))
{
    public HttpStatusCode StatusCode { get; } = statusCode;
    public ApiStatus? Status { get; } = status;
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>
/// GETs on the API server through KubernetesClient's connection (its HttpClient, TLS settings and credentials, token
/// refresh included), with the bodies left to the caller: lists and watches are decoded straight into the minimal
/// shapes instead of KubernetesClient's full models, which the view would throw away at once.
/// </summary>
internal sealed class ApiTransport(Kubernetes client, TimeProvider time)
{
    /// <summary>Sends a GET and returns once the headers arrived; non-2xx answers throw <see cref="ApiException"/>.</summary>
    public async Task<HttpResponseMessage> GetAsync(string pathAndQuery, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(client.BaseUri, pathAndQuery.TrimStart('/')));
        request.Headers.Accept.ParseAdd("application/json");
        if (client.Credentials is { } credentials) await credentials.ProcessHttpRequestAsync(request, cancellationToken).ConfigureAwait(false);
        var response = await client.HttpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode) return response;
        using (response)
            throw new ApiException(response.StatusCode, response.ReasonPhrase, await StatusOf(response, cancellationToken).ConfigureAwait(false),
                RetryAfter(response, time.GetUtcNow()));
    }

    private static async Task<ApiStatus?> StatusOf(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            return body.Length > 0 && body[0] == (byte)'{' ? JsonSerializer.Deserialize(body, ClusterJsonContext.Default.ApiStatus) : null;
        }
        catch (Exception e) when (e is JsonException or IOException or HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>Retry-After of a 429/503: seconds, or an HTTP date.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response, DateTimeOffset now)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta >= TimeSpan.Zero ? delta : null;
        if (header?.Date is { } date) return date > now ? date - now : TimeSpan.Zero;
        // Fractional seconds ("1.5") are not valid HTTP, but cost nothing to honour.
        return response.Headers.TryGetValues("Retry-After", out var values)
               && double.TryParse(values.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0
            ? TimeSpan.FromSeconds(seconds)
            : null;
    }
}
