using System.Net;
using RwxGuard.Tests.Infrastructure;

namespace RwxGuard.Tests;

public sealed class HostSmokeTests
{
    [Fact]
    public async Task Healthz_answers_over_https_with_no_certificate_files_and_no_cluster()
    {
        await using var webhook = await RunningWebhook.StartAsync();
        var response = await webhook.Client.GetAsync("/healthz", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("https", response.RequestMessage!.RequestUri!.Scheme);
    }
}
