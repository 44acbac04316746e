using RwxGuard.Policies;
using RwxGuard.Tests.Infrastructure;
using static RwxGuard.Tests.Infrastructure.Objects;
using RwxGuard.Domain;

namespace RwxGuard.Tests.Options;

/// <summary>The mounted settings file changes under a running server.</summary>
public sealed class SettingsReloadTests
{
    [Fact]
    public async Task A_good_edit_takes_effect_without_restart_and_a_bad_edit_keeps_the_last_good_settings()
    {
        var dir = Directory.CreateTempSubdirectory("rwx-guard-settings-");
        var file = Path.Combine(dir.FullName, "settings.json");
        await File.WriteAllTextAsync(file, """{ "Policy": { "Mode": "Enforce" } }""", TestContext.Current.CancellationToken);
        var view = new FakeClusterView().Add(Claim("data", AccessModes.ReadWriteOnce) with { Namespace = "tzlil-tets" });
        await using var webhook = await RunningWebhook.StartAsync(args: ["--config", file], services: s => s.AddSingleton<RwxGuard.Domain.IClusterView>(view));
        var review = Fixtures.MountClaim(Fixtures.Review("datree-deployment-create-replicas2-v1.json"), "data");

        async Task<string> ModeAsync() =>
            (await webhook.Client.PostAsync("/validate", review)).Body["response"]!["auditAnnotations"]!["mode"]!.GetValue<string>();

        Assert.Equal("enforce", await ModeAsync());

        await File.WriteAllTextAsync(file, """{ "Policy": { "Mode": "Warn" } }""", TestContext.Current.CancellationToken);
        await RwxGuard.Tests.Cluster.Poll.UntilAsync(async () => await ModeAsync() == "warn", "the Warn mode from the edited file",
            TimeSpan.FromSeconds(15));

        // A typo: the server keeps answering, in the last good mode.
        await File.WriteAllTextAsync(file, """{ "Policy": { "Mode": "Sometimes" } }""", TestContext.Current.CancellationToken);
        var settings = webhook.Services.GetRequiredService<RwxGuard.Options.LiveSettings<RwxGuard.Policies.PolicyOptions>>();
        await Task.Delay(1500, TestContext.Current.CancellationToken); // give the file watcher time to fire
        Assert.Equal("warn", await ModeAsync());
        Assert.Equal(RwxGuard.Policies.EnforcementMode.Warn, settings.Current.Mode);

        await File.WriteAllTextAsync(file, """{ "Policy": { "Mode": "Audit" } }""", TestContext.Current.CancellationToken);
        await RwxGuard.Tests.Cluster.Poll.UntilAsync(async () => await ModeAsync() == "audit", "recovery after the bad edit",
            TimeSpan.FromSeconds(15));
        dir.Delete(recursive: true);
    }
}
