using k8s;
using RwxGuard.Cluster;
using RwxGuard.Options;
using RwxGuard.Policies;
using RwxGuard.Reporting;
using RwxGuard.Domain;
using RwxGuard.Evaluation;

namespace RwxGuard.Audit;

/// <summary>
/// <c>webhook audit</c>: the webhook's policies over manifest files, directories or stdin (and optionally a live
/// cluster), printed as a table, JSON or PolicyReport YAML, with an exit code for CI. See docs/audit.md.
/// </summary>
public static class AuditCommand
{
    /// <summary>Nothing would be denied.</summary>
    public const int ExitClean = 0;

    /// <summary>At least one violation that the webhook would deny in Enforce mode.</summary>
    public const int ExitViolations = 1;

    /// <summary>Unusable input, a bad flag or setting, or a cluster that cannot be read (the server's exit code for bad
    /// configuration too).</summary>
    public const int ExitUnusable = 2;

    /// <param name="time">Stamps PolicyReport results (tests pass a fixed clock).</param>
    public static async Task<int> RunAsync(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr,
        TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdin);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        time ??= TimeProvider.System;

        AuditArguments arguments;
        try
        {
            arguments = AuditArguments.Parse(args);
        }
        catch (AuditUsageException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}\nRun 'webhook audit --help' for usage.");
            return ExitUnusable;
        }
        return await RunAsync(arguments, stdin, stdout, stderr, time, cancellationToken);
    }

    /// <summary>The audit with flags already parsed (by the binary's command line).</summary>
    internal static async Task<int> RunAsync(AuditArguments arguments, TextReader stdin, TextWriter stdout, TextWriter stderr,
        TimeProvider? time, CancellationToken cancellationToken)
    {
        time ??= TimeProvider.System;
        if (arguments.Help)
        {
            await stdout.WriteAsync(AuditArguments.Usage);
            return ExitClean;
        }

        // Settings: the server's settings file, then the flags.
        PolicyOptions policy;
        MutationOptions mutation;
        ClusterOptions? clusterOptions = null;
        try
        {
            var configuration = BuildConfiguration(arguments);
            var errors = new List<string>();
            policy = Bind(configuration, PolicyOptions.Section, new PolicyOptionsValidator(), errors);
            mutation = Bind(configuration, MutationOptions.Section, new MutationOptionsValidator(), errors);
            if (arguments.Kubeconfig is { } kubeconfig)
            {
                configuration[$"{ClusterOptions.Section}:Connection"] = nameof(ClusterConnection.Kubeconfig);
                configuration[$"{ClusterOptions.Section}:Kubeconfig"] = kubeconfig;
                clusterOptions = Bind(configuration, ClusterOptions.Section, new ClusterOptionsValidator(), errors);
            }
            if (errors.Count > 0) throw new SettingsException(errors);
        }
        catch (SettingsException e)
        {
            await stderr.WriteLineAsync(e.Message);
            return ExitUnusable;
        }

        // Input.
        var set = await ManifestReader.ReadAsync(arguments.Files, stdin, arguments.Namespace, ManifestLimits.Default, cancellationToken);
        foreach (var warning in set.Warnings) await stderr.WriteLineAsync($"warning: {warning}");
        if (set.Errors.Count > 0)
        {
            foreach (var error in set.Errors) await stderr.WriteLineAsync(error.ToString());
            await stderr.WriteLineAsync("error: unusable input, nothing was checked");
            return ExitUnusable;
        }

        // The live cluster, when asked for.
        ClusterView? live = null;
        Kubernetes? client = null;
        try
        {
            if (clusterOptions is not null)
            {
                try
                {
                    var connection = ClusterConnectionFactory.Resolve(clusterOptions);
                    client = new Kubernetes(connection.Configuration!);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    await stderr.WriteLineAsync($"error: --kubeconfig {clusterOptions.Kubeconfig}: cannot configure the Kubernetes API client: {e.Message}");
                    return ExitUnusable;
                }
                // Real time here: the injected clock only stamps the report.
                live = new ClusterView(client, clusterOptions, TimeProvider.System);
                await live.StartAsync(cancellationToken);
                var waited = System.Diagnostics.Stopwatch.StartNew();
                while (!live.IsReady && waited.Elapsed.TotalSeconds < arguments.ClusterTimeoutSeconds)
                    await Task.Delay(50, cancellationToken);
                if (!live.IsReady)
                {
                    await stderr.WriteLineAsync($"error: the cluster could not be read within {arguments.ClusterTimeoutSeconds} s: {live.Status.Detail}");
                    return ExitUnusable;
                }
            }
            return await AuditAsync(arguments, set, live, policy, mutation, stdout, stderr, time);
        }
        finally
        {
            if (live is not null) await live.DisposeAsync();
            client?.Dispose();
        }
    }

    private static async Task<int> AuditAsync(AuditArguments arguments, ManifestSet set, ClusterView? live, PolicyOptions policy,
        MutationOptions mutation, TextWriter stdout, TextWriter stderr, TimeProvider time)
    {
        var assumed = AssumedClasses(arguments, mutation, set, live);
        var manifests = new ManifestClusterView(set.Claims, set.Workloads, set.Autoscalers, [.. set.StorageClasses, .. assumed]);
        IClusterView view = live is null ? manifests : new LayeredClusterView(manifests, live);

        AuditSubjects subjects;
        if (arguments.Files.Count == 0)
        {
            subjects = AuditSubjects.Existing(view); // --kubeconfig alone: the whole cluster, as the background audit sees it
        }
        else
        {
            // A claim the cluster already has is not created again: it keeps its modes and class (immutable).
            var existing = manifests.Claims.Select(c => live?.GetClaim(c.Namespace, c.Name))
                .Where(l => l is { Outcome: LookupOutcome.Found }).Select(l => l!.Value.Value!).ToList();
            subjects = new AuditSubjects
            {
                Workloads = manifests.Workloads,
                Autoscalers = manifests.Autoscalers,
                NewClaims = manifests.Claims.Where(c => !existing.Any(e => e.Key == c.Key)).ToList(),
                ExistingClaims = existing,
            };
        }

        var results = PolicyAudit.Evaluate(view, subjects, policy, mutation);
        // Each result carries the mode admission would use in its namespace: only a failure there in enforce is a denial.
        var exitCode = results.Any(PolicyAudit.WouldDeny) ? ExitViolations : ExitClean;

        switch (arguments.Output)
        {
            case AuditOutputFormat.Json:
                await stdout.WriteAsync(AuditOutput.Json(results, set, policy.Mode, exitCode));
                break;
            case AuditOutputFormat.PolicyReport:
                await stdout.WriteAsync(ReportYaml.Of(PolicyReportBuilder.Build(results, time.GetUtcNow(), arguments.ReportApi)));
                break;
            default:
                await stdout.WriteAsync(AuditOutput.Table(results, set, policy.Mode, exitCode, assumed));
                break;
        }

        if (arguments.StorageClass is null && results.Any(r => r.Rule == Rules.NoRwxClass))
        {
            await stderr.WriteLineAsync(
                $"hint: no RWX-capable StorageClass is known (none in the input{(live is null ? "" : " or in the cluster")}), so " +
                "rwx-guard would leave AnythingLLM claims as they are (rule no-rwx-class). Add your StorageClasses to the input " +
                "(kubectl get storageclass -o yaml > classes.yaml, then -f classes.yaml), or audit as if one existed: " +
                "--storage-class <name>.");
        }
        return exitCode;
    }

    /// <summary>
    /// Classes the audit takes as existing although nobody showed them: <c>--storage-class</c> always ("as if"), and,
    /// with no cluster to look at, the classes named in the Mutation settings (the settings file is written for a
    /// cluster that has them). A class the input or the cluster defines is used as defined.
    /// </summary>
    private static List<StorageClassInfo> AssumedClasses(AuditArguments arguments, MutationOptions mutation, ManifestSet set,
        ClusterView? live)
    {
        var names = new List<string>();
        if (arguments.StorageClass is { } flag) names.Add(flag);
        if (live is null)
        {
            if (!string.IsNullOrEmpty(mutation.StorageClass)) names.Add(mutation.StorageClass);
            names.AddRange((mutation.Namespaces ?? []).Values.Select(n => n.StorageClass).OfType<string>());
        }
        var known = set.StorageClasses.Select(c => c.Name)
            .Concat(live?.StorageClasses.Value?.Select(c => c.Name) ?? [])
            .ToHashSet(StringComparer.Ordinal);
        return names.Distinct(StringComparer.Ordinal).Where(n => !known.Contains(n))
            .Select(n => new StorageClassInfo { Name = n, Provisioner = AuditOutput.AssumedProvisioner })
            .ToList();
    }

    private static IConfigurationRoot BuildConfiguration(AuditArguments arguments)
    {
        var builder = new ConfigurationBuilder();
        if (arguments.Config is { } file)
        {
            if (!File.Exists(file)) throw new SettingsException([$"--config: settings file '{file}' does not exist"]);
            builder.AddJsonFile(Path.GetFullPath(file), optional: false, reloadOnChange: false);
        }
        var flags = new Dictionary<string, string?>();
        if (arguments.Mode is not null) flags[$"{PolicyOptions.Section}:Mode"] = arguments.Mode;
        if (arguments.StorageClass is not null) flags[$"{MutationOptions.Section}:StorageClass"] = arguments.StorageClass;
        builder.AddInMemoryCollection(flags);
        try
        {
            return builder.Build();
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or IOException)
        {
            throw new SettingsException([$"--config: cannot read '{arguments.Config}': {e.Message}"]);
        }
    }

    private static T Bind<T>(IConfiguration configuration, string section, FluentValidation.IValidator<T> validator,
        List<string> errors) where T : class, new()
    {
        try
        {
            return SettingsLoader.Bind(configuration, section, validator);
        }
        catch (SettingsException e)
        {
            errors.AddRange(e.Errors);
            return new T();
        }
    }
}
