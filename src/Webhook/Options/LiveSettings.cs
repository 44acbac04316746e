using FluentValidation;
using Microsoft.Extensions.Primitives;
using RwxGuard.Telemetry;

namespace RwxGuard.Options;

public static class LiveSettingsRegistration
{
    public static IServiceCollection AddLiveSettings<T>(this IServiceCollection services, IConfiguration configuration,
        string section, IValidator<T> validator) where T : class, new() =>
        services.AddSingleton(sp => new LiveSettings<T>(configuration, section, validator,
            sp.GetRequiredService<WebhookMetrics>(), sp.GetRequiredService<ILogger<LiveSettings<T>>>()));
}

/// <summary>
/// A settings section that follows the settings file without a restart, and survives a bad edit. IOptionsMonitor is not
/// used for this on purpose: it binds and validates inside the configuration's reload callback, so a typo in a mounted
/// ConfigMap would throw there and on every later read. Here a reload that does not bind or validate is logged, counted
/// (rwxguard_settings_reloads_total{result="failure"}) and ignored: the last good settings stay in force.
/// </summary>
public sealed partial class LiveSettings<T> : IDisposable where T : class, new()
{
    private readonly IConfiguration _configuration;
    private readonly string _section;
    private readonly IValidator<T> _validator;
    private readonly WebhookMetrics _metrics;
    private readonly ILogger _logger;
    private readonly IDisposable _subscription;
    private volatile T _current;
    private string _lastApplied;

    public LiveSettings(IConfiguration configuration, string section, IValidator<T> validator, WebhookMetrics metrics,
        ILogger<LiveSettings<T>> logger)
    {
        _configuration = configuration;
        _section = section;
        _validator = validator;
        _metrics = metrics;
        _logger = logger;
        // Validated before the server started (SettingsLoader.ValidateAll), so this cannot fail here.
        _current = SettingsLoader.Bind(configuration, section, validator);
        _lastApplied = Snapshot();
        _subscription = ChangeToken.OnChange(configuration.GetReloadToken, Reload);
    }

    /// <summary>The settings in force: read once per request, never null, always valid.</summary>
    public T Current => _current;

    /// <summary>Edits refused so far (each one logged and counted in rwxguard_settings_reloads_total).</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    private long _rejected;

    private void Reload()
    {
        var snapshot = Snapshot();
        if (snapshot == _lastApplied) return; // another section changed, or the file was touched without a change
        try
        {
            var value = SettingsLoader.Bind(_configuration, _section, _validator);
            _current = value;
            _lastApplied = snapshot;
            _metrics.SettingsReloads.Add(1, new KeyValuePair<string, object?>("section", _section),
                new KeyValuePair<string, object?>("result", "success"));
            LogReloaded(_section);
        }
        catch (SettingsException e)
        {
            _metrics.SettingsReloads.Add(1, new KeyValuePair<string, object?>("section", _section),
                new KeyValuePair<string, object?>("result", "failure"));
            LogRejected(_section, string.Join("; ", e.Errors));
            Interlocked.Increment(ref _rejected);
        }
    }

    private string Snapshot() => string.Join('\n',
        _configuration.GetSection(_section).AsEnumerable().OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));

    public void Dispose() => _subscription.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "settings section {Section} reloaded")]
    private partial void LogReloaded(string section);

    [LoggerMessage(Level = LogLevel.Error, Message = "settings section {Section} NOT reloaded, the previous settings stay in force: {Errors}")]
    private partial void LogRejected(string section, string errors);
}
