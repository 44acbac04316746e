using System.Diagnostics;
using RwxGuard.Telemetry;

namespace RwxGuard.Options;

/// <summary>What the settings file on disk says, for /readyz.</summary>
/// <param name="Accepted">The file on disk is in force; false: it was rejected and the last good settings serve.</param>
public sealed record SettingsStatus(bool Accepted, string Detail);

/// <summary>
/// Follows the settings file the way Kubernetes updates a mounted ConfigMap: the kubelet writes a new <c>..&lt;time&gt;</c>
/// directory and swaps the <c>..data</c> symlink, so nothing is ever written to the file itself. The content is read on
/// every file event in its directory and every <c>Server:SettingsPollSeconds</c>, and acted on when its bytes change:
/// <list type="bullet">
/// <item>not JSON, or unreadable: rejected whole; nothing changes;</item>
/// <item>else each live section (Policy, Mutation, Reporting) takes its new values when they validate and keeps its
/// last good ones when they do not;</item>
/// <item>sections read only at start (Server, Cluster) are never re-read: a change is logged as needing a restart.</item>
/// </list>
/// Every outcome is logged and counted in <c>rwxguard_settings_reloads_total{section, result}</c>; /readyz shows
/// whether the file on disk is in force. Readiness itself does not depend on it: taking every replica out of service
/// over a typo would be worse than serving the last good settings.
/// </summary>
public sealed partial class SettingsReloader : IHostedService, IDisposable
{
    private readonly SettingsFileProvider? _file;
    private readonly IConfiguration _configuration;
    private readonly IReadOnlyList<ISettingsSection> _sections;
    private readonly WebhookMetrics _metrics;
    private readonly ILogger<SettingsReloader> _logger;
    private readonly TimeSpan _poll;
    private readonly Dictionary<string, IReadOnlyDictionary<string, string?>> _startOnly;
    private readonly Lock _lock = new();

    /// <summary>Sections read only at start (ports, certificates, limits, the API connection), with their validation.</summary>
    private static readonly (string Section, Action<IConfiguration> Validate)[] StartOnly =
    [
        (ServerOptions.Section, c => SettingsLoader.Bind(c, ServerOptions.Section, new ServerOptionsValidator())),
        (ClusterOptions.Section, c => SettingsLoader.Bind(c, ClusterOptions.Section, new ClusterOptionsValidator())),
    ];
    private FileChangeMonitor? _monitor;
    private byte[] _seen;
    private volatile SettingsStatus _status;

    public SettingsReloader(SettingsFileSource? file, IConfiguration configuration, IEnumerable<ISettingsSection> sections,
        ServerOptions server, WebhookMetrics metrics, ILogger<SettingsReloader> logger)
    {
        _file = file?.Provider;
        _configuration = configuration;
        _sections = [.. sections];
        _metrics = metrics;
        _logger = logger;
        _poll = TimeSpan.FromSeconds(server.SettingsPollSeconds);
        _startOnly = StartOnly.ToDictionary(s => s.Section, s => SettingsLoader.Snapshot(configuration, s.Section));
        _seen = _file?.Content ?? [];
        _status = new SettingsStatus(true, _file is null ? "no settings file (--config): defaults and flags" : $"{_file.Path} in force");
    }

    public SettingsStatus Status => _status;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_file is null) return Task.CompletedTask;
        _monitor = new FileChangeMonitor([_file.Path], _poll, TimeSpan.FromMilliseconds(200), Check, _logger);
        _monitor.Start();
        LogFollowing(_file.Path, _poll.TotalSeconds);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _monitor?.Dispose();
        _monitor = null;
        return Task.CompletedTask;
    }

    public void Dispose() => _monitor?.Dispose();

    /// <summary>Reads the file and acts on it if its bytes changed since the last look. Also called by tests.</summary>
    public void Check()
    {
        if (_file is null) return;
        lock (_lock)
        {
            byte[] content;
            try
            {
                content = File.ReadAllBytes(_file.Path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Between two kubelet swaps a path can vanish for an instant: say so, keep everything, look again.
                Reject("file", $"cannot read {_file.Path}: {e.Message}");
                return;
            }
            if (content.AsSpan().SequenceEqual(_seen)) return;
            _seen = content;

            if (SettingsFileProvider.Parse(content) is { } error)
            {
                Reject("file", $"{_file.Path} {error}");
                return;
            }
            _file.Apply(content);
            Apply();
        }
    }

    private void Apply()
    {
        var rejected = new List<string>();
        foreach (var section in _sections)
        {
            var reload = section.Reload(_configuration);
            switch (reload.Result)
            {
                case SectionReloadResult.Applied:
                    Count(reload.Section, "success");
                    LogApplied(reload.Section, string.Join("; ", reload.Changes));
                    break;
                case SectionReloadResult.Rejected:
                    Count(reload.Section, "failure");
                    LogRejected(reload.Section, string.Join("; ", reload.Changes));
                    rejected.AddRange(reload.Changes);
                    break;
            }
        }

        foreach (var (section, validate) in StartOnly)
        {
            var changes = SettingsLoader.Changes(_startOnly[section], SettingsLoader.Snapshot(_configuration, section));
            if (changes.Count == 0) continue;
            try
            {
                validate(_configuration);
                Count(section, "restart_required");
                LogNeedsRestart(section, string.Join("; ", changes));
            }
            catch (SettingsException e)
            {
                // Not applied now either way, but the next start would stop on it: that is worth an error.
                Count(section, "failure");
                LogStartWouldFail(section, string.Join("; ", e.Errors));
                rejected.AddRange(e.Errors);
            }
        }

        _status = rejected.Count == 0
            ? new SettingsStatus(true, $"{_file!.Path} in force")
            : new SettingsStatus(false, $"{_file!.Path} rejected ({string.Join("; ", rejected)}); the last good settings serve");
    }

    private void Reject(string section, string why)
    {
        Count(section, "failure");
        LogFileRejected(why);
        _status = new SettingsStatus(false, $"{why}; the last good settings serve");
    }

    private void Count(string section, string result) =>
        _metrics.SettingsReloads.Add(1, new TagList { { "section", section }, { "result", result } });

    [LoggerMessage(Level = LogLevel.Information, Message = "following settings file {Path} (checked on file events and every {Seconds} s)")]
    private partial void LogFollowing(string path, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "settings section {Section} reloaded: {Changes}")]
    private partial void LogApplied(string section, string changes);

    [LoggerMessage(Level = LogLevel.Error, Message = "settings section {Section} NOT reloaded, its last good settings stay in force: {Errors}")]
    private partial void LogRejected(string section, string errors);

    [LoggerMessage(Level = LogLevel.Error, Message = "settings file NOT reloaded, the last good settings stay in force: {Reason}")]
    private partial void LogFileRejected(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "settings section {Section} changed on disk but is read only at start: needs a restart to apply ({Changes})")]
    private partial void LogNeedsRestart(string section, string changes);

    [LoggerMessage(Level = LogLevel.Error, Message = "settings section {Section} changed on disk and is invalid: not applied (read only at start), and the next start would stop on it: {Errors}")]
    private partial void LogStartWouldFail(string section, string errors);
}
