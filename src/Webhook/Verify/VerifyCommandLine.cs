using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using RwxGuard.Cluster;
using RwxGuard.CommandLine;
using RwxGuard.Migrate;
using RwxGuard.Options;
using RwxGuard.Domain;
using RwxGuard.Policies;

namespace RwxGuard.Verify;

/// <summary><c>webhook verify -n NS [deployment/NAME] [-o json]</c>: the checklist, exit 0 all good, 1 a problem, 2 unusable input.</summary>
public static class VerifyCommandLine
{
    public const int ExitHealthy = 0;
    public const int ExitProblem = 1;

    public static Command Create(CliConsole console)
    {
        var workload = new Argument<string?>("workload") { Description = "deployment/NAME or statefulset/NAME (default: every workload with claims)", Arity = ArgumentArity.ZeroOrOne };
        var ns = new Option<string>("--namespace", "-n") { Description = "the namespace (default: the kubeconfig context's, else default)" };
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)" };
        var config = new Option<string>("--config") { Description = "rwx-guard's settings file (default: the installed ConfigMap rwx-guard/rwx-guard-settings)" };
        var output = new Option<string>("--output", "-o") { Description = "text (default) or json" };
        output.AcceptOnlyFromAmong("text", "json");
        workload.Validators.Add(WorkloadRef.Validate);
        var command = new Command("verify", "Check that workloads with claims really run on shared storage: claims, classes, pods, mount events, policies")
        {
            workload, ns, kubeconfig, config, output,
        };
        command.SetAction(async (r, ct) =>
        {
            var target = r.GetValue(workload) is { } text && WorkloadRef.TryParse(text, out var parsed) ? parsed : null;
            return await RunAsync(console, target, r.GetValue(ns), r.GetValue(kubeconfig), r.GetValue(config), r.GetValue(output) == "json", ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(CliConsole console, WorkloadRef? target, string? ns, string? kubeconfig, string? config, bool json, CancellationToken ct)
    {
        try
        {
            using var context = ClusterCommandContext.Connect(kubeconfig);
            ns ??= context.DefaultNamespace ?? "default";
            var (policy, mutation, source) = await context.SettingsAsync(config, ct);
            var input = await VerifyReader.ReadAsync(context.Client, ns, policy, mutation, source, DateTimeOffset.UtcNow, ct);
            if (target is not null && !Exists(input, target))
            {
                await console.Error.WriteLineAsync($"error: {target} not found in namespace {ns}");
                return WebhookCommandLine.ExitUsage;
            }
            var results = VerifyChecks.Evaluate(input, target?.Name, target?.Kind);
            var exit = VerifyChecks.ExitCode(results);
            if (json) await console.Out.WriteLineAsync(Json(ns, results, exit));
            else Print(new ConsoleUi(console), ns, results, exit);
            return exit;
        }
        catch (Exception e) when (e is MigrationException or SettingsException or HttpOperationException or HttpRequestException or System.Text.Json.JsonException)
        {
            await console.Error.WriteLineAsync($"error: {(e is HttpOperationException or HttpRequestException ? ApiErrors.Describe(e) : e is System.Text.Json.JsonException ? $"the API server answered something unreadable: {e.Message}" : e.Message)}");
            return WebhookCommandLine.ExitUsage;
        }
    }

    /// <summary>The checks for one workload, printed; false when one failed (migrate's last step).</summary>
    public static async Task<bool> CheckAsync(IKubernetes k, ConsoleUi ui, MigrationState state, PolicyOptions policy, MutationOptions mutation, string source, CancellationToken ct)
    {
        var input = await VerifyReader.ReadAsync(k, state.Namespace, policy, mutation, source, DateTimeOffset.UtcNow, ct);
        var results = VerifyChecks.Evaluate(input, state.Primary.Name, state.Primary.Kind);
        ui.Checklist(results);
        return VerifyChecks.ExitCode(results) == ExitHealthy;
    }

    private static bool Exists(VerifyInput input, WorkloadRef target) => target.Kind == WorkloadKind.StatefulSet
        ? input.StatefulSets.Any(s => s.Metadata.Name == target.Name)
        : input.Deployments.Any(d => d.Metadata.Name == target.Name);

    private static void Print(ConsoleUi ui, string ns, IReadOnlyList<CheckResult> results, int exit)
    {
        ui.Checklist(results);
        var failed = results.Count(r => r.Status == CheckStatus.Fail);
        var warned = results.Count(r => r.Status == CheckStatus.Warn);
        ui.Info("");
        ui.Info(results.All(r => r.Subject == "rwx-guard")
            ? $"No Deployment or StatefulSet with a PersistentVolumeClaim in namespace {ns}; exit code {exit}."
            : $"{results.Count} checks in namespace {ns}: {results.Count - failed - warned} passed, {warned} warnings, {failed} problems; exit code {exit}.");
    }

    private static string Json(string ns, IReadOnlyList<CheckResult> results, int exit) => new JsonObject
    {
        ["namespace"] = ns,
        ["exitCode"] = exit,
        ["summary"] = new JsonObject
        {
            ["pass"] = results.Count(r => r.Status == CheckStatus.Pass),
            ["warn"] = results.Count(r => r.Status == CheckStatus.Warn),
            ["fail"] = results.Count(r => r.Status == CheckStatus.Fail),
        },
        ["checks"] = new JsonArray([.. results.Select(r => (JsonNode)new JsonObject
        {
            ["status"] = r.Status.ToString().ToLowerInvariant(),
            ["subject"] = r.Subject,
            ["check"] = r.Check,
            ["evidence"] = r.Evidence,
        })]),
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
