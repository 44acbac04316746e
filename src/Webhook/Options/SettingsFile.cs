using System.Text.Json;
using Microsoft.Extensions.Configuration.Json;

namespace RwxGuard.Options;

/// <summary>The settings file (<c>--config</c>) as a configuration source whose content <see cref="SettingsReloader"/> replaces.</summary>
public sealed class SettingsFileSource(string path) : IConfigurationSource
{
    public string Path { get; } = System.IO.Path.GetFullPath(path);

    /// <summary>The one provider of this source (the configuration builds it once).</summary>
    public SettingsFileProvider Provider => _provider ??= new SettingsFileProvider(Path);

    private SettingsFileProvider? _provider;

    public IConfigurationProvider Build(IConfigurationBuilder builder) => Provider;
}

/// <summary>
/// The settings file's keys. Unlike <c>AddJsonFile(reloadOnChange: true)</c>, which watches the file for write events,
/// this provider changes only when told to, with content that has already been read and parsed: a ConfigMap update
/// swaps a symlink (<c>..data</c>) and writes nothing to the file, and a half-written or invalid file must never replace
/// what is in force.
/// </summary>
public sealed class SettingsFileProvider(string path) : JsonStreamConfigurationProvider(new JsonStreamConfigurationSource())
{
    public string Path { get; } = path;

    /// <summary>The bytes whose keys are in force (the file as read at start, then at each accepted reload).</summary>
    public byte[] Content { get; private set; } = [];

    /// <summary>At start: an unreadable or invalid file stops the start, naming the file.</summary>
    public override void Load()
    {
        byte[] content;
        try
        {
            content = File.ReadAllBytes(Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SettingsException([$"--config: cannot read settings file '{Path}': {e.Message}"]);
        }
        if (Parse(content) is { } error) throw new SettingsException([$"--config: settings file '{Path}' {error}"]);
        Apply(content);
    }

    /// <summary>Why <paramref name="content"/> cannot be settings (not JSON, not an object), or null when it can.</summary>
    public static string? Parse(byte[] content)
    {
        try
        {
            using var stream = new MemoryStream(content);
            new JsonStreamConfigurationProvider(new JsonStreamConfigurationSource { Stream = stream }).Load();
            return null;
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            return $"is not a JSON settings object: {(e.InnerException ?? e).Message}";
        }
    }

    /// <summary>Puts parsed <paramref name="content"/> in force and tells the configuration (call <see cref="Parse"/> first).</summary>
    public void Apply(byte[] content)
    {
        using var stream = new MemoryStream(content);
        Load(stream);
        Content = content;
        OnReload();
    }
}
