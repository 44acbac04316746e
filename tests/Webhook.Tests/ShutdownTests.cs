using System.Net;
using RwxGuard.Tests.Infrastructure;

namespace RwxGuard.Tests;

/// <summary>SIGTERM: not ready at once, still serving during the delay, in-flight requests finished.</summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task Stopping_reports_not_ready_while_still_answering_admission_requests()
    {
        await using var webhook = await RunningWebhook.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Server:ShutdownDelaySeconds"] = "3",
        });
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(HttpStatusCode.OK, (await webhook.Client.GetAsync("/readyz", ct)).StatusCode);

        // What SIGTERM does: the host stops.
        var stopping = webhook.App.StopAsync(ct);

        HttpResponseMessage readyz;
        var polls = 0;
        do
        {
            readyz = await webhook.Client.GetAsync("/readyz", ct);
        } while (readyz.StatusCode == HttpStatusCode.OK && ++polls < 100 && !stopping.IsCompleted);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyz.StatusCode);
        Assert.Contains("[-]shutdown failed: shutting down", await readyz.Content.ReadAsStringAsync(ct));

        // Still inside the delay: admission keeps working on the same keep-alive connection.
        Assert.False(stopping.IsCompleted);
        var (status, body) = await webhook.Client.PostAsync("/validate", Fixtures.Review("kwctl-pod-create-v1.json"));
        Assert.Equal(200, status);
        Assert.True(body["response"]!["allowed"]!.GetValue<bool>());

        await stopping;
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => new HttpClient(
            RunningWebhook.CreateHandler(webhook.Services, null)) { BaseAddress = webhook.BaseAddress }.GetAsync("/healthz", ct));
    }
}
