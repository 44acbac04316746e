using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using RwxGuard.Cluster;

namespace RwxGuard.Tests.Cluster;

public sealed class BackoffAndErrorsTests
{
    [Fact]
    public void Backoff_doubles_up_to_the_cap_and_starts_over_after_reset()
    {
        var highest = new Backoff(TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(4), () => 1.0);
        Assert.Equal([0.5, 1, 2, 4, 4, 4], Enumerable.Range(0, 6).Select(_ => highest.Next().TotalSeconds));
        highest.Reset();
        Assert.Equal(0.5, highest.Next().TotalSeconds);

        // Jitter keeps every wait within [d/2, d].
        var lowest = new Backoff(TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(4), () => 0.0);
        Assert.Equal([0.25, 0.5, 1, 2, 2], Enumerable.Range(0, 5).Select(_ => lowest.Next().TotalSeconds));
        var random = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        Assert.All(Enumerable.Range(0, 200).Select(_ => random.Next().TotalSeconds), s => Assert.InRange(s, 0.5, 30));
    }

    [Fact]
    public void Retry_After_wins_when_longer_and_is_bounded()
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(4), () => 1.0);
        Assert.Equal(TimeSpan.FromSeconds(3), backoff.Next(TimeSpan.FromSeconds(3)));
        Assert.Equal(TimeSpan.FromSeconds(1), backoff.Next(TimeSpan.FromSeconds(0.1)));
        Assert.Equal(Backoff.MaxRetryAfter, backoff.Next(TimeSpan.FromHours(2)));
    }

    [Fact]
    public void Retry_After_is_read_as_seconds_or_as_an_HTTP_date()
    {
        var now = new DateTimeOffset(2025, 3, 4, 10, 0, 0, TimeSpan.Zero);
        Assert.Equal(TimeSpan.FromSeconds(7), ApiErrors.RetryAfter(Http(HttpStatusCode.TooManyRequests, r => r.Headers.Add("Retry-After", "7")), now));
        Assert.Equal(TimeSpan.FromSeconds(30), ApiErrors.RetryAfter(
            Http(HttpStatusCode.ServiceUnavailable, r => r.Headers.Add("Retry-After", "Tue, 04 Mar 2025 10:00:30 GMT")), now));
        Assert.Null(ApiErrors.RetryAfter(Http(HttpStatusCode.InternalServerError), now));
        Assert.Null(ApiErrors.RetryAfter(new HttpRequestException("Connection refused"), now));
    }

    [Fact]
    public void Expired_is_410_as_an_HTTP_status_or_as_a_watch_ERROR_Status()
    {
        Assert.True(ApiErrors.IsExpired(Http(HttpStatusCode.Gone)));
        Assert.True(ApiErrors.IsExpired(new KubernetesException(new V1Status { Code = 410, Reason = "Expired", Message = "too old resource version: 1 (5)" })));
        Assert.False(ApiErrors.IsExpired(new KubernetesException(new V1Status { Code = 500, Reason = "InternalError" })));
        Assert.False(ApiErrors.IsExpired(Http(HttpStatusCode.InternalServerError)));
        Assert.False(ApiErrors.IsExpired(new JsonException("truncated")));
    }

    [Fact]
    public void An_empty_watch_stream_is_recognised_through_wrapping()
    {
        Assert.True(ApiErrors.IsEmptyWatchStream(new HttpRequestException("Error while copying content to a stream.", new EndOfStreamException())));
        Assert.False(ApiErrors.IsEmptyWatchStream(new HttpRequestException("The response ended prematurely.", new IOException())));
    }

    [Fact]
    public void Errors_are_described_in_one_short_line()
    {
        var status = Json.Status(403, "Forbidden",
            "persistentvolumeclaims is forbidden: User \"system:serviceaccount:rwx-guard:webhook\" cannot list resource \"persistentvolumeclaims\" in API group \"\" at the cluster scope");
        Assert.Equal("HTTP 403 Forbidden: persistentvolumeclaims is forbidden: User \"system:serviceaccount:rwx-guard:webhook\" cannot list resource \"persistentvolumeclaims\" in API group \"\" at the cluster scope",
            ApiErrors.Describe(Http(HttpStatusCode.Forbidden, content: status)));
        Assert.Equal("watch error 410 Expired: too old", ApiErrors.Describe(new KubernetesException(new V1Status { Code = 410, Reason = "Expired", Message = "too old" })));
        Assert.True(ApiErrors.Describe(new InvalidOperationException(new string('x', 500) + "\n")).Length <= 200);
    }

    private static HttpOperationException Http(HttpStatusCode code, Action<HttpResponseMessage>? configure = null, string content = "")
    {
        using var response = new HttpResponseMessage(code);
        configure?.Invoke(response);
        return new HttpOperationException($"Operation returned an invalid status code '{code}'")
        {
            Response = new HttpResponseMessageWrapper(response, content),
        };
    }
}
