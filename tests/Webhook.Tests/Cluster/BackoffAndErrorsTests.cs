using System.Net;
using System.Text.Json;
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
        Assert.Equal(TimeSpan.FromSeconds(7), ApiTransport.RetryAfter(Answer(HttpStatusCode.TooManyRequests, "7"), now));
        Assert.Equal(TimeSpan.FromSeconds(30), ApiTransport.RetryAfter(Answer(HttpStatusCode.ServiceUnavailable, "Tue, 04 Mar 2025 10:00:30 GMT"), now));
        Assert.Null(ApiTransport.RetryAfter(Answer(HttpStatusCode.InternalServerError, null), now));
        Assert.Null(ApiErrors.RetryAfter(new HttpRequestException("Connection refused")));
        Assert.Equal(TimeSpan.FromSeconds(2), ApiErrors.RetryAfter(Api(HttpStatusCode.TooManyRequests, retryAfter: TimeSpan.FromSeconds(2))));
    }

    [Fact]
    public void Expired_is_410_as_an_HTTP_status_or_as_a_watch_ERROR_Status()
    {
        Assert.True(ApiErrors.IsExpired(Api(HttpStatusCode.Gone)));
        // An ERROR event's Status becomes the same exception (ResourceClient), its code as the status code.
        Assert.True(ApiErrors.IsExpired(Api((HttpStatusCode)410, new ApiStatus { Code = 410, Reason = "Expired", Message = "too old resource version: 1 (5)" })));
        Assert.True(ApiErrors.IsExpired(Api(HttpStatusCode.InternalServerError, new ApiStatus { Code = 500, Reason = "Expired" })));
        Assert.False(ApiErrors.IsExpired(Api(HttpStatusCode.InternalServerError, new ApiStatus { Code = 500, Reason = "InternalError" })));
        Assert.False(ApiErrors.IsExpired(new JsonException("truncated")));
    }

    /// <summary>What makes the view give up watch-lists for paginated lists: a refusal, never a transient failure.</summary>
    [Fact]
    public void A_watch_list_refusal_is_a_client_error_other_than_throttling_expiry_or_credentials()
    {
        Assert.True(ApiErrors.IsRefusal(Api(HttpStatusCode.UnprocessableEntity)));
        Assert.True(ApiErrors.IsRefusal(Api(HttpStatusCode.BadRequest)));
        Assert.True(ApiErrors.IsRefusal(Api(HttpStatusCode.Forbidden)));
        Assert.False(ApiErrors.IsRefusal(Api(HttpStatusCode.TooManyRequests)));
        Assert.False(ApiErrors.IsRefusal(Api(HttpStatusCode.Gone)));
        Assert.False(ApiErrors.IsRefusal(Api(HttpStatusCode.Unauthorized)));
        Assert.False(ApiErrors.IsRefusal(Api(HttpStatusCode.InternalServerError)));
        Assert.False(ApiErrors.IsRefusal(new HttpRequestException("Connection refused")));
    }

    [Fact]
    public void Errors_are_described_in_one_short_line()
    {
        var status = new ApiStatus
        {
            Code = 403, Reason = "Forbidden",
            Message = "persistentvolumeclaims is forbidden: User \"system:serviceaccount:rwx-guard:webhook\" cannot list resource \"persistentvolumeclaims\" in API group \"\" at the cluster scope",
        };
        Assert.Equal("HTTP 403 Forbidden: persistentvolumeclaims is forbidden: User \"system:serviceaccount:rwx-guard:webhook\" cannot list resource \"persistentvolumeclaims\" in API group \"\" at the cluster scope",
            ApiErrors.Describe(new ApiException(HttpStatusCode.Forbidden, "Forbidden", status, null)));
        Assert.Equal("HTTP 410 Expired: too old",
            ApiErrors.Describe(new ApiException((HttpStatusCode)410, "Expired", new ApiStatus { Code = 410, Reason = "Expired", Message = "too old" }, null)));
        Assert.True(ApiErrors.Describe(new InvalidOperationException(new string('x', 500) + "\n")).Length <= 200);
    }

    private static ApiException Api(HttpStatusCode code, ApiStatus? status = null, TimeSpan? retryAfter = null) =>
        new(code, code.ToString(), status, retryAfter);

    private static HttpResponseMessage Answer(HttpStatusCode code, string? retryAfter)
    {
        var response = new HttpResponseMessage(code);
        if (retryAfter is not null) response.Headers.TryAddWithoutValidation("Retry-After", retryAfter);
        return response;
    }
}
