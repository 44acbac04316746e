using FluentValidation;

namespace RwxGuard.Options;

/// <summary>A settings section as <see cref="SettingsReloader"/> sees it.</summary>
public interface ISettingsSection
{
    string Section { get; }

    /// <summary>
    /// Binds and validates the section from <paramref name="configuration"/> as it is now: the new settings take effect
    /// when they validate, and the last good ones stay otherwise.
    /// </summary>
    SectionReload Reload(IConfiguration configuration);
}

public enum SectionReloadResult
{
    Unchanged,
    Applied,
    Rejected,
}

/// <param name="Changes">"Policy:Mode: Enforce -> Warn" for every key that changed (Applied), or the errors (Rejected).</param>
public sealed record SectionReload(string Section, SectionReloadResult Result, IReadOnlyList<string> Changes)
{
    public static SectionReload Unchanged(string section) => new(section, SectionReloadResult.Unchanged, []);
}

/// <summary>
/// A settings section that follows the settings file without a restart and survives a bad edit: read once per
/// request through <see cref="Current"/>, never null, always valid. <see cref="SettingsReloader"/> is the one thing
/// that changes it.
/// </summary>
public sealed class LiveSettings<T> : ISettingsSection where T : class, new()
{
    private readonly IValidator<T> _validator;
    private volatile T _current;
    private IReadOnlyDictionary<string, string?> _applied;

    /// <param name="configuration">Validated before the server started (SettingsLoader.ValidateAll), so this binds.</param>
    public LiveSettings(IConfiguration configuration, string section, IValidator<T> validator)
    {
        Section = section;
        _validator = validator;
        _current = SettingsLoader.Bind(configuration, section, validator);
        _applied = SettingsLoader.Snapshot(configuration, section);
    }

    public string Section { get; }

    public T Current => _current;

    public SectionReload Reload(IConfiguration configuration)
    {
        var snapshot = SettingsLoader.Snapshot(configuration, Section);
        var changes = SettingsLoader.Changes(_applied, snapshot);
        if (changes.Count == 0) return SectionReload.Unchanged(Section); // the file changed elsewhere, or not at all
        try
        {
            _current = SettingsLoader.Bind(configuration, Section, _validator);
        }
        catch (SettingsException e)
        {
            return new SectionReload(Section, SectionReloadResult.Rejected, e.Errors);
        }
        _applied = snapshot;
        return new SectionReload(Section, SectionReloadResult.Applied, changes);
    }
}

public static class LiveSettingsRegistration
{
    /// <summary>Registers the section as <see cref="LiveSettings{T}"/> and as one of the sections the reloader reloads.</summary>
    public static IServiceCollection AddLiveSettings<T>(this IServiceCollection services, IConfiguration configuration,
        string section, IValidator<T> validator) where T : class, new()
    {
        var settings = new LiveSettings<T>(configuration, section, validator);
        services.AddSingleton(settings);
        services.AddSingleton<ISettingsSection>(settings);
        return services;
    }
}
