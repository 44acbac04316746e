using FluentValidation;
using Microsoft.Extensions.Options;
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
        ["--config"] = "Config",
        ["--mode"] = "Policy:Mode",
        ["--metrics-port"] = "Server:MetricsPort",
        ["--client-ca-file"] = "Server:ClientCaFile",
    };

    /// <summary>Adds the settings file (from --config or RWXGUARD_CONFIG) and the flags, flags last so they win.</summary>
    public static void AddWebhookSources(IConfigurationManager configuration, string[] args)
    {
        var flags = new ConfigurationBuilder().AddCommandLine(args, FlagMappings.ToDictionary()).Build();
        var file = flags["Config"] ?? configuration["RWXGUARD_CONFIG"];
        if (!string.IsNullOrEmpty(file))
        {
            if (!File.Exists(file))
                throw new SettingsException([$"--config: settings file '{file}' does not exist"]);
            // reloadOnChange: a mounted ConfigMap update reaches the running process (IOptionsMonitor).
            configuration.AddJsonFile(Path.GetFullPath(file), optional: false, reloadOnChange: true);
        }
        configuration.AddCommandLine(args, FlagMappings.ToDictionary());
    }

    /// <summary>Binds a section and validates it; throws <see cref="SettingsException"/> naming every bad key.</summary>
    public static T Bind<T>(IConfiguration configuration, string section, IValidator<T> validator) where T : class, new()
    {
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

    /// <summary>Options pattern registration with the same validators, so reloads are validated too.</summary>
    public static IServiceCollection AddValidatedOptions<T>(this IServiceCollection services, IConfiguration configuration,
        string section, IValidator<T> validator) where T : class
    {
        services.AddOptions<T>().Bind(configuration.GetSection(section));
        services.AddSingleton<IValidateOptions<T>>(new FluentOptionsValidator<T>(validator));
        return services;
    }

    private sealed class FluentOptionsValidator<T>(IValidator<T> validator) : IValidateOptions<T> where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var result = validator.Validate(options);
            return result.IsValid
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail(result.Errors.Select(e => $"{e.PropertyName}: {e.ErrorMessage}"));
        }
    }
}
