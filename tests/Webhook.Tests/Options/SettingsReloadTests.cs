using System.Net;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using RwxGuard.Domain;
using RwxGuard.Options;
using RwxGuard.Policies;
using RwxGuard.Telemetry;
using RwxGuard.Tests.Cluster;
using RwxGuard.Tests.Infrastructure;
using RwxGuard.Tests.Tls;
using static RwxGuard.Tests.Infrastructure.Objects;

namespace RwxGuard.Tests.Options;

/// <summary>
/// The mounted settings file changes under a running server, the way the kubelet changes a ConfigMap volume: a new
/// <c>..&lt;timestamp&gt;</c> directory, then an atomic rename of the <c>..data</c> symlink; <c>settings.json</c> is itself a
/// symlink into <c>..data</c> and is never written.
/// </summary>
public sealed class SettingsReloadTests : IAsyncLifetime
{
    private readonly DirectoryInfo _mount = Directory.CreateTempSubdirectory("rwx-guard-configmap-");
    private readonly CapturingLoggerProvider _logs = new();
    private RunningWebhook _webhook = null!;
    private CounterRecorder _reloads = null!;
    private int _generation;

    private string SettingsPath => Path.Combine(_mount.FullName, "settings.json");
    private SettingsReloader Reloader => _webhook.Services.GetRequiredService<SettingsReloader>();

    public async ValueTask InitializeAsync()
    {
        Publish("""{ "Policy": { "Mode": "Enforce" } }""");
        File.CreateSymbolicLink(SettingsPath, Path.Combine("..data", "settings.json"));
        var view = new FakeClusterView().Add(Claim("data", AccessModes.ReadWriteOnce) with { Namespace = "tzlil-tets" });
        _webhook = await RunningWebhook.StartAsync(args: ["--config", SettingsPath],
            settings: new Dictionary<string, string?>
            {
                ["Server:SettingsPollSeconds"] = "1",
                ["Logging:LogLevel:RwxGuard.Options"] = "Information",
            },
            configure: b => b.Logging.AddProvider(_logs),
            services: s => s.AddSingleton<IClusterView>(view));
        _reloads = new CounterRecorder(_webhook.Services.GetRequiredService<WebhookMetrics>().SettingsReloads);
    }

    public async ValueTask DisposeAsync()
    {
        _reloads.Dispose();
        await _webhook.DisposeAsync();
        _mount.Delete(recursive: true);
    }

    /// <summary>What the kubelet's AtomicWriter does for a ConfigMap update.</summary>
    private void Publish(string content)
    {
        var version = $"..2026_12_06_10_00_{_generation++:00}.{Random.Shared.Next():x}";
        Directory.CreateDirectory(Path.Combine(_mount.FullName, version));
        File.WriteAllText(Path.Combine(_mount.FullName, version, "settings.json"), content);
        var staging = Path.Combine(_mount.FullName, "..data_tmp");
        File.CreateSymbolicLink(staging, version);
        var data = Path.Combine(_mount.FullName, "..data");
        var previous = new FileInfo(data).LinkTarget;
        // rename(2) over the old link, as the kubelet does: atomic, and no event on settings.json itself. (File.Move
        // refuses a link to a directory.)
        if (Rename(staging, data) != 0) throw new IOException($"rename {staging} -> {data}: errno {Marshal.GetLastPInvokeError()}");
        if (previous is not null) Directory.Delete(Path.Combine(_mount.FullName, previous), recursive: true);
    }

    [DllImport("libc", EntryPoint = "rename", SetLastError = true)]
    private static extern int Rename(string oldPath, string newPath);

    private async Task<string> ModeAsync()
    {
        var review = Fixtures.MountClaim(Fixtures.Review("datree-deployment-create-replicas2-v1.json"), "data");
        var (status, body) = await _webhook.Client.PostAsync("/validate", review);
        Assert.Equal(200, status);
        return body["response"]!["auditAnnotations"]!["mode"]!.GetValue<string>();
    }

    private Task UntilRejectedAsync(string expectation) =>
        Poll.UntilAsync(() => !Reloader.Status.Accepted, expectation, TimeSpan.FromSeconds(15), () => Reloader.Status.Detail);

    [Fact]
    public async Task A_ConfigMap_update_by_symlink_swap_applies_within_the_poll_interval_and_is_logged_and_counted()
    {
        Assert.Equal("enforce", await ModeAsync());

        Publish("""{ "Policy": { "Mode": "Warn" } }""");
        await Poll.UntilAsync(async () => await ModeAsync() == "warn", "the Warn mode from the swapped ConfigMap", TimeSpan.FromSeconds(10));

        Assert.Contains(_logs.Messages(LogLevel.Information), m => m.Contains("settings section Policy reloaded: Policy:Mode: Enforce -> Warn"));
        Assert.Equal(1, _reloads.Sum(("section", "Policy"), ("result", "success")));
        var readyz = await _webhook.Client.GetStringAsync("/readyz?verbose", TestContext.Current.CancellationToken);
        Assert.Contains($"[+]settings ok: {SettingsPath} in force", readyz);
    }

    [Theory]
    [InlineData("""{ "Server": { "MaxRequestBodyBytes": 1000 } }""", "Server:MaxRequestBodyBytes")]
    [InlineData("""{ "Server": { "MaxRequestBodyBytes": "7 MiB" } }""", "Server:MaxRequestBodyBytes")]
    public async Task A_bad_Server_section_is_reported_and_admission_keeps_answering(string content, string key)
    {
        Publish(content);
        await UntilRejectedAsync("the bad Server section seen and refused");

        // Admission answers as before: the Server section is read at start only, and this one would not start.
        Assert.Equal("enforce", await ModeAsync());
        var mutate = await _webhook.Client.PostAsync("/mutate", Fixtures.Review("kw-pvc-create-rwo-storageclass-fast-v1req.json"));
        Assert.Equal(200, mutate.Status);
        Assert.Contains(key, Reloader.Status.Detail);
        Assert.Equal(1, _reloads.Sum(("section", "Server"), ("result", "failure")));
        Assert.Contains(_logs.Messages(LogLevel.Error), m => m.Contains("the next start would stop on it") && m.Contains(key));

        // Readiness stays: the last good settings serve, and /readyz says the file on disk is rejected.
        var readyz = await _webhook.Client.GetAsync("/readyz?verbose", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, readyz.StatusCode);
        Assert.Contains("[+]settings ok: file on disk rejected:", await readyz.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_valid_Server_change_says_it_needs_a_restart_and_changes_nothing()
    {
        Publish("""{ "Policy": { "Mode": "Enforce" }, "Server": { "MaxRequestBodyBytes": 1048576 } }""");
        await Poll.UntilAsync(() => _reloads.Sum(("section", "Server"), ("result", "restart_required")) == 1, "the restart notice",
            TimeSpan.FromSeconds(10));

        Assert.Contains(_logs.Messages(LogLevel.Warning), m => m.Contains("needs a restart") && m.Contains("Server:MaxRequestBodyBytes"));
        Assert.Equal(7 * 1024 * 1024, _webhook.Services.GetRequiredService<ServerOptions>().MaxRequestBodyBytes);
        Assert.True(Reloader.Status.Accepted);
    }

    [Theory]
    [InlineData("""{ "Policy": { "Mode": "Sometimes" } }""", "Policy", "Policy:Mode")]
    [InlineData("""{ "Policy": { "Mode": "2" } }""", "Policy", "Policy:Mode")]
    [InlineData("""{ "Policy": { "Mode": "Enforce, Audit" } }""", "Policy", "Policy:Mode")]
    [InlineData("""{ "Policy": { "Mode": "Wa""", "file", "not a JSON settings object")]
    [InlineData("", "file", "not a JSON settings object")]
    public async Task A_bad_edit_is_logged_counted_and_the_last_good_settings_stay_until_a_good_one(string content, string section, string reason)
    {
        Publish("""{ "Policy": { "Mode": "Warn" } }""");
        await Poll.UntilAsync(async () => await ModeAsync() == "warn", "the Warn mode", TimeSpan.FromSeconds(10));

        Publish(content);
        await UntilRejectedAsync("the bad edit seen and refused");

        Assert.Equal("warn", await ModeAsync());
        Assert.Equal(EnforcementMode.Warn, _webhook.Services.GetRequiredService<LiveSettings<PolicyOptions>>().Current.Mode);
        Assert.Contains(reason, Reloader.Status.Detail);
        Assert.Equal(1, _reloads.Sum(("section", section), ("result", "failure")));
        Assert.Contains(_logs.Messages(LogLevel.Error), m => m.Contains("NOT reloaded"));

        Publish("""{ "Policy": { "Mode": "Audit" } }""");
        await Poll.UntilAsync(async () => await ModeAsync() == "audit", "recovery after the bad edit", TimeSpan.FromSeconds(10));
        // The status follows the sections within the same check.
        await Poll.UntilAsync(() => Reloader.Status.Accepted, "the file reported in force again", TimeSpan.FromSeconds(5));
    }
}
