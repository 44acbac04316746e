using FluentValidation;
using RwxGuard.Policies;

namespace RwxGuard.Options;

/// <summary>A setting that stops the start: the message names the key.</summary>
public sealed class SettingsException(IReadOnlyList<string> errors)
    : Exception("invalid configuration:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  " + e)))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>
/// Command-line flags named like kube-apiserver's, the settings file, and the binding + validation of every section
/// before anything starts listening.
/// </summary>
public static class SettingsLoader
{
    /// <summary>Kubernetes-style flags → configuration keys.</summary>
    public static readonly IReadOnlyDictionary<string, string> FlagMappings = new Dictionary<string, string>
    {
        ["--port"] = "Server:Port",
        ["--tls-cert-file"] = "Server:TlsCertFile",
        ["--tls-private-key-file"] = "Server:TlsPrivateKeyFile",
        ["--kubeconfig"] = "Cluster:Kubeconfig",
        ["--cluster-manifests"] = "Cluster:Manifests",
        ["--config"] = "Config",
        ["--mode"] = "Policy:Mode",
        ["--metrics-port"] = "Server:MetricsPort",
        ["--client-ca-file"] = "Server:ClientCaFile",
    };

    /// <summary>
    /// Adds the settings file (from --config or RWXGUARD_CONFIG) and the flags, flags last so they win. Returns the
    /// settings file's source, which <see cref="SettingsReloader"/> follows; null when there is no settings file.
    /// </summary>
    public static SettingsFileSource? AddWebhookSources(IConfigurationManager configuration, string[] args)
    {
        var flags = new ConfigurationBuilder().AddCommandLine(args, FlagMappings.ToDictionary()).Build();
        var file = flags["Config"] ?? configuration["RWXGUARD_CONFIG"];
        SettingsFileSource? source = null;
        if (!string.IsNullOrEmpty(file))
        {
            if (!File.Exists(file))
                throw new SettingsException([$"--config: settings file '{file}' does not exist"]);
            source = new SettingsFileSource(file);
            configuration.Add(source);
        }
        configuration.AddCommandLine(args, FlagMappings.ToDictionary());
        return source;
    }

    /// <summary>Every key of a section and its value, as the configuration has them now.</summary>
    public static IReadOnlyDictionary<string, string?> Snapshot(IConfiguration configuration, string section) =>
        configuration.GetSection(section).AsEnumerable(makePathsRelative: false)
            .Where(p => p.Value is not null)
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase);

    /// <summary>"Policy:Mode: Enforce -> Warn" for every key added, removed or changed, in key order.</summary>
    public static IReadOnlyList<string> Changes(IReadOnlyDictionary<string, string?> before, IReadOnlyDictionary<string, string?> after) =>
        before.Keys.Union(after.Keys, StringComparer.OrdinalIgnoreCase)
            .Where(key => before.GetValueOrDefault(key) != after.GetValueOrDefault(key))
            .Order(StringComparer.OrdinalIgnoreCase)
            .Select(key => $"{key}: {before.GetValueOrDefault(key) ?? "(unset)"} -> {after.GetValueOrDefault(key) ?? "(unset)"}")
            .ToList();

    /// <summary>Binds a section and validates it; throws <see cref="SettingsException"/> naming every bad key.</summary>
    public static T Bind<T>(IConfiguration configuration, string section, IValidator<T> validator) where T : class, new()
    {
        if (NotANamedValue(configuration, section, typeof(T)) is { Count: > 0 } misnamed) throw new SettingsException(misnamed);
        var value = new T();
        try
        {
            configuration.GetSection(section).Bind(value);
        }
        catch (InvalidOperationException e)
        {
            // The binder's message names the key ("Failed to convert configuration value at 'Policy:Mode' …").
            throw new SettingsException([(e.InnerException is null ? e.Message : $"{e.Message} {e.InnerException.Message}")]);
        }
        var result = validator.Validate(value);
        if (!result.IsValid)
            throw new SettingsException(result.Errors.Select(e => $"{e.PropertyName}: {e.ErrorMessage}").ToList());
        return value;
    }

    /// <summary>
    /// The binder takes "2" or "Enforce, Audit" for an enum (a number, or flags) and means something nobody wrote:
    /// an enum setting must be one of its names.
    /// </summary>
    private static List<string> NotANamedValue(IConfiguration configuration, string section, Type type)
    {
        var errors = new List<string>();
        foreach (var property in type.GetProperties())
        {
            var enumType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (!enumType.IsEnum) continue;
            var key = $"{section}:{property.Name}";
            if (configuration[key] is not { } raw) continue;
            var names = Enum.GetNames(enumType);
            if (!names.Contains(raw.Trim(), StringComparer.OrdinalIgnoreCase))
                errors.Add($"{key}: '{raw}' is not one of {string.Join(", ", names)}");
        }
        return errors;
    }

    /// <summary>Every section, validated together so one start reports every mistake.</summary>
    public static void ValidateAll(IConfiguration configuration)
    {
        var errors = new List<string>();
        Collect(() => Bind(configuration, ServerOptions.Section, new ServerOptionsValidator()));
        Collect(() => Bind(configuration, ClusterOptions.Section, new ClusterOptionsValidator()));
        Collect(() => Bind(configuration, PolicyOptions.Section, new PolicyOptionsValidator()));
        Collect(() => Bind(configuration, ReportingOptions.Section, new ReportingOptionsValidator()));
        Collect(() => Bind(configuration, MutationOptions.Section, new MutationOptionsValidator()));
        if (errors.Count > 0) throw new SettingsException(errors);

        void Collect(Action bind)
        {
            try { bind(); }
            catch (SettingsException e) { errors.AddRange(e.Errors); }
        }
    }
}
