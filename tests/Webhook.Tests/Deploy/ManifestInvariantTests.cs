using System.Text.Json;
using System.Text.Json.Nodes;
using RwxGuard.Options;
using RwxGuard.Policies;

namespace RwxGuard.Tests.Deploy;

/// <summary>
/// Invariants every rendering must keep, whichever way it is installed: deploy/manifests (the base alone, each overlay,
/// each component) rendered with `kubectl kustomize`, and deploy/charts/rwx-guard rendered with `helm template` under
/// several value sets. Each test reads the YAML the cluster would get.
/// </summary>
public sealed class ManifestInvariantTests
{
    public static TheoryData<string> Targets => new(Renderer.Targets);

    private static readonly string[] SystemNamespaces = ["kube-system", "kube-node-lease", "kube-public"];
    private const string OptOutLabel = "rwx-guard.io/ignore";

    [Fact]
    public void Targets_include_the_base_and_both_certificate_overlays()
    {
        Assert.Contains("base", Renderer.Targets);
        Assert.Contains("overlays/cert-manager", Renderer.Targets);
        Assert.Contains("overlays/self-managed", Renderer.Targets);
        Assert.Contains(Renderer.ChartTarget, Renderer.Targets);
        Assert.Contains(Renderer.ChartEverythingTarget, Renderer.Targets);
    }

    // ---- webhook configurations ----------------------------------------------------------------------------------

    [Theory, MemberData(nameof(Targets))]
    public async Task Validating_webhook_covers_every_entry_point(string target)
    {
        var r = await Renderer.RenderAsync(target);
        var webhook = SingleWebhook(r.Validating, "validate.rwx-guard.io");
        var required = new (string Group, string Version, string Resource, string[] Ops)[]
        {
            ("apps", "v1", "deployments", ["CREATE", "UPDATE"]),
            ("apps", "v1", "statefulsets", ["CREATE", "UPDATE"]),
            ("apps", "v1", "replicasets", ["CREATE", "UPDATE"]),
            // One pod per node on a single-attach claim (shared-single-attach).
            ("apps", "v1", "daemonsets", ["CREATE", "UPDATE"]),
            // kubectl scale and the HPA write the scale subresource, under the parent's group.
            ("apps", "v1", "deployments/scale", ["UPDATE"]),
            ("apps", "v1", "statefulsets/scale", ["UPDATE"]),
            ("apps", "v1", "replicasets/scale", ["UPDATE"]),
            ("autoscaling", "v1", "horizontalpodautoscalers", ["CREATE", "UPDATE"]),
            ("autoscaling", "v2", "horizontalpodautoscalers", ["CREATE", "UPDATE"]),
            ("", "v1", "persistentvolumeclaims", ["CREATE"]),
        };
        foreach (var (group, version, resource, ops) in required)
        foreach (var op in ops)
        {
            Assert.True(K8s.AnyRuleMatches(webhook, group, version, resource, op),
                $"{target}: no validating rule for {op} {(group == "" ? "core" : group)}/{version} {resource}");
        }
        Assert.True(Rules(webhook).Any(rule => K8s.Strings(rule["apiGroups"]).SequenceEqual(["autoscaling"])
                                               && K8s.Strings(rule["apiVersions"]).SequenceEqual(["*"])
                                               && K8s.Strings(rule["resources"]).Contains("horizontalpodautoscalers")),
            $"{target}: the HorizontalPodAutoscaler rule must name every version (\"*\")");
    }

    [Theory, MemberData(nameof(Targets))]
    public async Task Validating_rules_are_narrow(string target)
    {
        var r = await Renderer.RenderAsync(target);
        var webhook = SingleWebhook(r.Validating, "validate.rwx-guard.io");
        foreach (var rule in Rules(webhook))
        {
            Assert.DoesNotContain("*", K8s.Strings(rule["apiGroups"]));
            Assert.DoesNotContain(K8s.Strings(rule["resources"]), res => res.Contains('*'));
            Assert.All(K8s.Strings(rule["operations"]), op => Assert.Contains(op, (string[])["CREATE", "UPDATE"]));
            Assert.Equal("Namespaced", (string?)rule["scope"]);
        }
        Assert.False(K8s.AnyRuleMatches(webhook, "", "v1", "pods", "CREATE"), $"{target}: pods must not go through the webhook");
        Assert.False(K8s.AnyRuleMatches(webhook, "apps", "v1", "deployments", "DELETE"), $"{target}: DELETE is not checked");
        Assert.False(K8s.AnyRuleMatches(webhook, "", "v1", "persistentvolumeclaims", "UPDATE"), $"{target}: claims only on CREATE");
        // objectSelector can be dodged by whoever writes the labels.
        Assert.True(webhook["objectSelector"] is null || webhook["objectSelector"]!.AsObject().Count == 0,
            $"{target}: the validating webhook must not have an objectSelector");
    }

    [Theory, MemberData(nameof(Targets))]
    public async Task Mutating_webhook_handles_claims_only(string target)
    {
        var r = await Renderer.RenderAsync(target);
        var webhook = SingleWebhook(r.Mutating, "mutate.rwx-guard.io");
        Assert.True(K8s.AnyRuleMatches(webhook, "", "v1", "persistentvolumeclaims", "CREATE"),
            $"{target}: no mutating rule for CREATE core/v1 persistentvolumeclaims");
        // UPDATE: re-applying the original manifest of a claim made RWX must keep the live (immutable) values.
        Assert.True(K8s.AnyRuleMatches(webhook, "", "v1", "persistentvolumeclaims", "UPDATE"),
            $"{target}: no mutating rule for UPDATE core/v1 persistentvolumeclaims");
        foreach (var rule in Rules(webhook))
        {
            Assert.Equal([""], K8s.Strings(rule["apiGroups"]));
            Assert.Equal(["persistentvolumeclaims"], K8s.Strings(rule["resources"]));
            Assert.Equal(["CREATE", "UPDATE"], K8s.Strings(rule["operations"]));
            Assert.Equal("Namespaced", (string?)rule["scope"]);
        }
        Assert.Equal("IfNeeded", (string?)webhook["reinvocationPolicy"]);
    }

    [Theory, MemberData(nameof(Targets))]
    public async Task Webhooks_use_the_agreed_settings(string target)
    {
        var r = await Renderer.RenderAsync(target);
        foreach (var webhook in AllWebhooks(r))
        {
            var name = (string)webhook["name"]!;
            Assert.True((string?)webhook["sideEffects"] == "None", $"{target} {name}: sideEffects must be None (dry run)");
            Assert.Equal(["v1"], K8s.Strings(webhook["admissionReviewVersions"]));
            Assert.True(webhook["timeoutSeconds"] is not null, $"{target} {name}: timeoutSeconds must be explicit");
            var timeout = (int)webhook["timeoutSeconds"]!;
            Assert.InRange(timeout, 1, 10);
            Assert.Equal("Equivalent", (string?)webhook["matchPolicy"]);
            Assert.Equal(r.IsRollout ? "Ignore" : "Fail", (string?)webhook["failurePolicy"]);
        }
    }

    [Theory, MemberData(nameof(Targets))]
    public async Task Webhooks_call_the_service_on_443_at_their_paths(string target)
    {
        var r = await Renderer.RenderAsync(target);
        var service = r.Single("Service", "rwx-guard");
        foreach (var (webhook, path) in new[]
                 {
                     (SingleWebhook(r.Validating, "validate.rwx-guard.io"), "/validate"),
                     (SingleWebhook(r.Mutating, "mutate.rwx-guard.io"), "/mutate"),
                 })
        {
            var client = webhook["clientConfig"]!;
            Assert.Null(client["url"]);
            var svc = client["service"]!;
            Assert.Equal(Rendered.Name(service), (string?)svc["name"]);
            Assert.Equal(Rendered.Namespace(service), (string?)svc["namespace"]);
            Assert.Equal(path, (string?)svc["path"]);
            Assert.Equal(443, (int?)svc["port"] ?? 443);
            Assert.Contains(service["spec"]!["ports"]!.AsArray(), p => (int)p!["port"]! == 443);
        }
    }

    [Theory, MemberData(nameof(Targets))]
    public async Task NamespaceSelector_excludes_system_namespaces_its_own_and_opted_out_ones(string target)
    {
        var r = await Renderer.RenderAsync(target);
        foreach (var webhook in AllWebhooks(r))
        {
            var selector = webhook["namespaceSelector"];
            Assert.NotNull(selector);
            foreach (var ns in SystemNamespaces.Append(r.WorkloadNamespace))
                Assert.False(K8s.Matches(selector, K8s.NamespaceLabels(ns)), $"{target}: {webhook["name"]} matches namespace {ns}");
            Assert.True(K8s.Matches(selector, K8s.NamespaceLabels("default")), $"{target}: {webhook["name"]} skips 'default'");
            Assert.True(K8s.Matches(selector, K8s.NamespaceLabels("anythingllm", ("team", "ai"))));
            Assert.False(K8s.Matches(selector, K8s.NamespaceLabels("anythingllm", (OptOutLabel, "true"))),
                $"{target}: label {OptOutLabel} must opt a namespace out");
        }
    }

    // ---- Service, Deployment, PDB ----------------------------------------------------------------------------------

    [Theory, MemberData(nameof(Targets))]
    public async Task Service_targets_the_container_port_the_server_listens_on(string target)
    {
        var r = await Renderer.RenderAsync(target);
        var service = r.Single("Service", "rwx-guard");
        var port = service["spec"]!["ports"]!.AsArray().Single(p => (int)p!["port"]! == 443)!;
        var containerPort = K8s.ResolvePort(r.Container, port["targetPort"]!);
        Assert.Equal(8443, containerPort);
        Assert.Equal(new ServerOptions().Port, containerPort);
        Assert.Equal("TCP", (string?)port["protocol"] ?? "TCP");
        Assert.True(K8s.Matches(new JsonObject { ["matchLabels"] = service["spec"]!["selector"]!.DeepClone() }, PodLabels(r)),
            $"{target}: the Service selector does not select the webhook pods");
        // The server's --port (when given) is the same port.
        var portArg = Args(r).SingleOrDefault(a => a.StartsWith("--port", StringComparison.Ordinal));
        if (portArg is not null) Assert.Equal($"--port={containerPort}", portArg);
        Assert.Equal(Rendered.Namespace(service), r.WorkloadNamespace);
    }

    [Theory, MemberData(nameof(Targets))]
    public async Task Deployment_runs_three_replicas_behind_a_consistent_PodDisruptionBudget(string target)
    {
        var r = await Renderer.RenderAsync(target);
        var replicas = (int)r.Deployment["spec"]!["replicas"]!;
        Assert.True(replicas >= 3, $"{target}: replicas {replicas} < 3");

        var pdb = r.Single("PodDisruptionBudget");
        Assert.Equal(r.WorkloadNamespace, Rendered.Namespace(pdb));
        var spec = pdb["spec"]!;
        var min = spec["minAvailable"];
        var max = spec["maxUnavailable"];
        Assert.True(min is null ^ max is null, $"{target}: set exactly one of minAvailable and maxUnavailable");
        if (min is not null)
        {
            Assert.True(min.GetValueKind() == JsonValueKind.Number, $"{target}: minAvailable must be a count");
            Assert.InRange((int)min, 1, replicas - 1);
        }
        else
        {
            Assert.True(max!.GetValueKind() == JsonValueKind.Number, $"{target}: maxUnavailable must be a count");
            Assert.InRange((int)max, 1, replicas - 1);
        }
        Assert.True(K8s.Matches(spec["selector"], PodLabels(r)), $"{target}: the PDB selector does not select the webhook pods");
        Assert.True(K8s.Matches(r.Deployment["spec"]!["selector"], PodLabels(r)));
    }

    [Theory, MemberData(nameof(Targets))]
    public async Task Pods_spread_across_nodes_and_zones(string target)
    {
        var r = await Renderer.RenderAsync(target);
        var constraints = r.PodSpec["topologySpreadConstraints"]?.AsArray() ?? [];
        var byNode = constraints.SingleOrDefault(c => (string?)c!["topologyKey"] == "kubernetes.io/hostname");
        var byZone = constraints.SingleOrDefault(c => (string?)c!["topologyKey"] == "topology.kubernetes.io/zone");
        Assert.True(byNode is not null, $"{target}: no spread constraint on kubernetes.io/hostname");
        Assert.True(byZone is not null, $"{target}: no spread constraint on topology.kubernetes.io/zone");
        Assert.Equal("ScheduleAnyway", (string?)byZone!["whenUnsatisfiable"]);
        foreach (var c in new[] { byNode!, byZone })
        {
            Assert.Equal(1, (int)c["maxSkew"]!);
            Assert.True(K8s.Matches(c["labelSelector"], PodLabels(r)), $"{target}: a spread constraint does not select the pods");
        }
    }

    [Theory, MemberData(nameof(Targets))]
    public async Task Probes_use_healthz_and_readyz_on_the_plain_port_that_needs_no_client_certificate(string target)
    {
        // With --client-ca-file the HTTPS port refuses the kubelet (it presents no certificate): probes must use the
        // plain-HTTP port, which serves /healthz and /readyz (and /metrics) and never admission.
        var r = await Renderer.RenderAsync(target);
        var c = r.Container;
        var metricsArg = Args(r).SingleOrDefault(a => a.StartsWith("--metrics-port", StringComparison.Ordinal));
        var plainPort = metricsArg is null ? new ServerOptions().MetricsPort : int.Parse(metricsArg["--metrics-port=".Length..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(plainPort > 0, $"{target}: the plain-HTTP port is off ({metricsArg}), so the probes have nowhere to go");
        foreach (var (probe, path) in new[] { ("startupProbe", "/healthz"), ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz") })
        {
            var get = c[probe]?["httpGet"];
            Assert.True(get is not null, $"{target}: {probe} must be an httpGet probe");
            Assert.Equal(path, (string?)get!["path"]);
            Assert.Equal("HTTP", (string?)get["scheme"] ?? "HTTP");
            Assert.Equal(plainPort, K8s.ResolvePort(c, get["port"]!));
        }
        Assert.Equal(RwxGuard.HealthEndpoints.Readyz, (string?)c["readinessProbe"]!["httpGet"]!["path"]);
    }

    [Theory, MemberData(nameof(Targets))]
    public async Task Pod_meets_the_restricted_pod_security_profile(string target)
    {
        var r = await Renderer.RenderAsync(target);
        var pod = r.PodSpec;
        foreach (var container in pod["containers"]!.AsArray().Concat(pod["initContainers"]?.AsArray() ?? []))
        {
            var c = container!.AsObject();
            var name = (string?)c["name"];
            Assert.True((bool?)K8s.Effective(pod, c, "runAsNonRoot") == true, $"{target} {name}: runAsNonRoot");
            Assert.Equal(1654, (int?)K8s.Effective(pod, c, "runAsUser"));
            Assert.Equal("RuntimeDefault", (string?)K8s.Effective(pod, c, "seccompProfile")?["type"]);
            var sc = c["securityContext"];
            Assert.True((bool?)sc?["readOnlyRootFilesystem"] == true, $"{target} {name}: readOnlyRootFilesystem");
            Assert.True((bool?)sc?["allowPrivilegeEscalation"] == false, $"{target} {name}: allowPrivilegeEscalation false");
            Assert.True((bool?)sc?["privileged"] != true, $"{target} {name}: privileged");
            Assert.Contains("ALL", K8s.Strings(sc?["capabilities"]?["drop"]));
            Assert.Empty(K8s.Strings(sc?["capabilities"]?["add"]));
            // No shell in the chiseled image: nothing may exec.
            Assert.DoesNotContain("\"exec\"", c.ToJsonString(), StringComparison.Ordinal);
        }
        foreach (var host in new[] { "hostNetwork", "hostPID", "hostIPC" })
            Assert.True((bool?)pod[host] != true, $"{target}: {host}");
        Assert.True((bool?)pod["automountServiceAccountToken"] == true, $"{target}: the server needs its token for the API");
        Assert.DoesNotContain((string?)pod["priorityClassName"], (string?[])["system-cluster-critical", "system-node-critical"]);

        // The kustomizations create the namespace with the restricted profile; Helm's --create-namespace cannot label it
        // (docs/helm.md says to), and a chart must not own its release namespace.
        if (r.IsChart) Assert.Empty(r.OfKind("Namespace"));
        else Assert.Equal("restricted", K8s.Labels(r.Single("Namespace", r.WorkloadNamespace)["metadata"]).GetValueOrDefault("pod-security.kubernetes.io/enforce"));
    }

    [Theory, MemberData(nameof(Targets))]
    public async Task Pod_has_resources_a_writable_tmp_and_a_graceful_stop(string target)
    {
        var r = await Renderer.RenderAsync(target);
        var resources = r.Container["resources"];
        Assert.NotNull(resources?["requests"]?["cpu"]);
        Assert.NotNull(resources?["requests"]?["memory"]);
        Assert.NotNull(resources?["limits"]?["memory"]);

        var tmp = r.Container["volumeMounts"]!.AsArray().SingleOrDefault(m => (string?)m!["mountPath"] == "/tmp");
        Assert.True(tmp is not null, $"{target}: /tmp must be mounted (read-only root filesystem)");
        Assert.NotNull(Volume(r, (string)tmp!["name"]!)["emptyDir"]);

        var grace = (int?)r.PodSpec["terminationGracePeriodSeconds"] ?? 30;
        var sleep = (int?)r.Container["lifecycle"]?["preStop"]?["sleep"]?["seconds"] ?? 0;
        Assert.True(r.Container["lifecycle"]?["preStop"] is null || sleep > 0, $"{target}: preStop must be the native sleep action");
        Assert.True(grace > sleep + 10, $"{target}: terminationGracePeriodSeconds {grace} leaves no time to drain after a {sleep}s preStop");
    }

    [Theory, MemberData(nameof(Targets))]
    public async Task Standard_labels_are_set_and_the_version_matches_the_image_tag(string target)
    {
        var r = await Renderer.RenderAsync(target);
        foreach (var labels in new[] { K8s.Labels(r.Deployment["metadata"]), PodLabels(r) })
        {
            Assert.Equal("rwx-guard", labels.GetValueOrDefault("app.kubernetes.io/name"));
            Assert.Equal("webhook", labels.GetValueOrDefault("app.kubernetes.io/component"));
            Assert.False(string.IsNullOrEmpty(labels.GetValueOrDefault("app.kubernetes.io/instance")));
            Assert.False(string.IsNullOrEmpty(labels.GetValueOrDefault("app.kubernetes.io/part-of")));
            var image = K8s.Image(r.Container);
            Assert.Equal(image[(image.LastIndexOf(':') + 1)..], labels.GetValueOrDefault("app.kubernetes.io/version"));
        }
        // The version changes on every upgrade; selectors are immutable.
        Assert.DoesNotContain("app.kubernetes.io/version", r.Deployment["spec"]!["selector"]!.ToJsonString());
    }

    [Theory, MemberData(nameof(Targets))]
    public async Task Namespaced_objects_live_in_the_webhook_namespace(string target)
    {
        var r = await Renderer.RenderAsync(target);
        foreach (var o in r.Objects.Where(o => !K8s.ClusterScoped.Contains((string)o["kind"]!)))
            Assert.True(Rendered.Namespace(o) == r.WorkloadNamespace, $"{target}: {o["kind"]} {Rendered.Name(o)} is in '{Rendered.Namespace(o)}'");
        foreach (var o in r.Objects.Where(o => K8s.ClusterScoped.Contains((string)o["kind"]!)))
        {
            // kustomize ≤ 5.5 (kubectl ≤ 1.32) does not know that the admission policy kinds are cluster scoped and sets
            // the overlay's namespace on them; the API server drops it. The chart writes none.
            if (!r.IsChart && K8s.AdmissionPolicyKinds.Contains((string)o["kind"]!) && Rendered.Namespace(o) == r.WorkloadNamespace) continue;
            Assert.True(Rendered.Namespace(o) is null, $"{target}: cluster-scoped {o["kind"]} {Rendered.Name(o)} has namespace '{Rendered.Namespace(o)}'");
        }
    }

    // ---- RBAC ------------------------------------------------------------------------------------------------------

    private static readonly (string Group, string Resource)[] WatchedKinds =
    [
        ("", "persistentvolumeclaims"), ("apps", "deployments"), ("apps", "statefulsets"), ("apps", "replicasets"),
        ("apps", "daemonsets"), ("autoscaling", "horizontalpodautoscalers"), ("storage.k8s.io", "storageclasses"), ("", "namespaces"),
    ];

    /// <summary>The RBAC above is exactly what the server's cluster view lists and watches: a resource added to the
    /// view's table without its RBAC (or the reverse) fails here, not as a 403 in someone's cluster.</summary>
    [Fact]
    public void The_RBAC_kinds_are_the_resources_the_cluster_view_watches()
    {
        using var client = new k8s.Kubernetes(new k8s.KubernetesClientConfiguration { Host = "http://127.0.0.1:9" });
        var view = new RwxGuard.Cluster.ClusterView(client, new RwxGuard.Options.ClusterOptions());

        Assert.Equal(WatchedKinds.Select(k => k.Resource).Order(), view.GetStats().Caches.Select(c => c.Resource).Order());
    }

    [Theory, MemberData(nameof(Targets))]
    public async Task Reporting_rbac_writes_only_reports_and_one_lease(string target)
    {
        var r = await Renderer.RenderAsync(target);
        var reports = r.Single("ClusterRole", "rwx-guard-reports");
        var granted = reports["rules"]!.AsArray()
            .SelectMany(rule => K8s.Strings(rule!["apiGroups"]).SelectMany(g => K8s.Strings(rule["resources"]).Select(res => $"{g}/{res}")))
            .ToHashSet();
        Assert.Equal(new HashSet<string> { "wgpolicyk8s.io/policyreports", "openreports.io/reports" }, granted);
        // Per kind: list (filtered by label in code) and create, which cannot be limited by name; get, update and
        // delete only on the names the reporter's reports can have.
        foreach (var rule in reports["rules"]!.AsArray())
        {
            var verbs = K8s.Strings(rule!["verbs"]).Order().ToList();
            if (rule["resourceNames"] is null)
            {
                Assert.Equal(["create", "list"], verbs);
                continue;
            }
            Assert.Equal(["delete", "get", "update"], verbs);
            Assert.Equal(RwxGuard.Reporting.PolicyReportBuilder.Names, K8s.Strings(rule["resourceNames"]));
        }
        Assert.Equal(4, reports["rules"]!.AsArray().Count);

        var election = r.Single("Role", "rwx-guard-leader-election");
        Assert.Equal(r.WorkloadNamespace, Rendered.Namespace(election));
        foreach (var rule in election["rules"]!.AsArray())
        {
            Assert.Equal(["coordination.k8s.io"], K8s.Strings(rule!["apiGroups"]));
            Assert.Equal(["leases"], K8s.Strings(rule["resources"]));
            // Reading and renewing are limited to the reporter's own Lease; create cannot be limited by name.
            var verbs = K8s.Strings(rule["verbs"]).Order().ToList();
            if (verbs.SequenceEqual(["create"])) continue;
            Assert.Equal(["get", "update"], verbs);
            Assert.Equal([Settings(r, ReportingOptions.Section, new ReportingOptionsValidator()).LeaseName], K8s.Strings(rule["resourceNames"]));
        }
        foreach (var (kind, name) in new[] { ("ClusterRoleBinding", "rwx-guard-reports"), ("RoleBinding", "rwx-guard-leader-election") })
        {
            var binding = r.Single(kind, name);
            Assert.Contains(binding["subjects"]!.AsArray(), s => (string?)s!["name"] == (string?)r.PodSpec["serviceAccountName"]);
        }

        // The lease identity and namespace come from the downward API.
        var env = r.PodSpec["containers"]![0]!["env"]!.AsArray();
        Assert.Contains(env, e => (string?)e!["name"] == "POD_NAME" && (string?)e["valueFrom"]!["fieldRef"]!["fieldPath"] == "metadata.name");
        Assert.Contains(env, e => (string?)e!["name"] == "POD_NAMESPACE" && (string?)e["valueFrom"]!["fieldRef"]!["fieldPath"] == "metadata.namespace");
    }

    [Fact]
    public async Task The_optional_crd_component_serves_the_report_kind_the_reporter_writes()
    {
        var r = await Renderer.RenderAsync(Renderer.PolicyReportCrdTarget);
        var crd = r.Single("CustomResourceDefinition", "policyreports.wgpolicyk8s.io");
        var kind = RwxGuard.Reporting.ReportApi.PolicyReport;
        Assert.Equal(kind.Group, (string?)crd["spec"]!["group"]);
        Assert.Equal(kind.Plural, (string?)crd["spec"]!["names"]!["plural"]);
        Assert.Equal(kind.Kind, (string?)crd["spec"]!["names"]!["kind"]);
        Assert.Contains(crd["spec"]!["versions"]!.AsArray(), v => (string?)v!["name"] == kind.Version && (bool?)v["served"] == true);
        Assert.Null(Rendered.Namespace(crd)); // cluster scoped, left alone by the overlay's namespace
        Assert.Empty((await Renderer.RenderAsync("overlays/cert-manager")).OfKind("CustomResourceDefinition"));
    }

    [Theory, MemberData(nameof(Targets))]
    public async Task Rbac_grants_read_only_access_to_exactly_the_watched_kinds(string target)
    {
        var r = await Renderer.RenderAsync(target);
        string[] readVerbs = ["get", "list", "watch"];
        foreach (var role in r.OfKind("ClusterRole").Concat(r.OfKind("Role")))
        foreach (var rule in role["rules"]!.AsArray())
        {
            var where = $"{target}: {role["kind"]} {Rendered.Name(role)}";
            Assert.True(rule!["nonResourceURLs"] is null, $"{where}: nonResourceURLs");
            Assert.DoesNotContain("*", K8s.Strings(rule["apiGroups"]));
            Assert.DoesNotContain(K8s.Strings(rule["resources"]), res => res.Contains('*'));
            Assert.DoesNotContain("*", K8s.Strings(rule["verbs"]));
            foreach (var (group, resource) in WatchedKinds)
            {
                if (K8s.Strings(rule["apiGroups"]).Contains(group) && K8s.Strings(rule["resources"]).Contains(resource))
                    Assert.All(K8s.Strings(rule["verbs"]), v => Assert.Contains(v, readVerbs));
            }
            Assert.All(K8s.Strings(rule["verbs"]), v => Assert.DoesNotContain(v, (string[])["escalate", "bind", "impersonate"]));
        }

        var clusterRole = r.Single("ClusterRole", "rwx-guard");
        var granted = clusterRole["rules"]!.AsArray()
            .SelectMany(rule => K8s.Strings(rule!["apiGroups"]).SelectMany(g => K8s.Strings(rule["resources"]).Select(res => (g, res))))
            .Distinct().ToHashSet();
        Assert.Equal(WatchedKinds.ToHashSet(), granted);
        foreach (var rule in clusterRole["rules"]!.AsArray())
            Assert.Equal(readVerbs, K8s.Strings(rule!["verbs"]).Order());

        var binding = r.Single("ClusterRoleBinding", "rwx-guard");
        Assert.Equal("ClusterRole", (string?)binding["roleRef"]!["kind"]);
        Assert.Equal(Rendered.Name(clusterRole), (string?)binding["roleRef"]!["name"]);
        var serviceAccount = (string?)r.PodSpec["serviceAccountName"];
        Assert.NotNull(r.Find("ServiceAccount", serviceAccount!, r.WorkloadNamespace));
        Assert.Contains(binding["subjects"]!.AsArray(), s => (string?)s!["kind"] == "ServiceAccount"
                                                             && (string?)s["name"] == serviceAccount
                                                             && (string?)s["namespace"] == r.WorkloadNamespace);
    }

    // ---- settings and certificate mounts ----------------------------------------------------------------------------

    [Theory, MemberData(nameof(Targets))]
    public async Task Settings_file_is_valid_json_for_the_server_and_mounted_as_a_directory(string target)
    {
        var r = await Renderer.RenderAsync(target);
        var configArg = Arg(r, "--config");
        var mount = MountFor(r, configArg);
        Assert.Null(mount["subPath"]);
        Assert.Null(mount["subPathExpr"]);
        var volume = Volume(r, (string)mount["name"]!);
        var configMapName = (string?)volume["configMap"]?["name"];
        Assert.True(configMapName is not null, $"{target}: {configArg} must come from a ConfigMap volume");
        var configMap = r.Find("ConfigMap", configMapName!, r.WorkloadNamespace);
        Assert.True(configMap is not null, $"{target}: ConfigMap {configMapName} is not rendered");
        var key = Path.GetFileName(configArg);
        Assert.Equal("settings.json", key);
        var json = (string?)configMap!["data"]?[key];
        Assert.True(json is not null, $"{target}: ConfigMap {configMapName} has no key {key}");

        using var document = JsonDocument.Parse(json!); // throws on invalid JSON
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json!))).Build();
        SettingsLoader.ValidateAll(configuration); // the server's own validation
        var policy = SettingsLoader.Bind(configuration, PolicyOptions.Section, new PolicyOptionsValidator());
        Assert.Equal(r.IsRollout ? EnforcementMode.Warn : EnforcementMode.Enforce, policy.Mode);
    }

    [Theory, MemberData(nameof(Targets))]
    public async Task Serving_certificate_comes_from_a_mounted_secret_directory(string target)
    {
        var r = await Renderer.RenderAsync(target);
        var cert = Arg(r, "--tls-cert-file");
        var key = Arg(r, "--tls-private-key-file");
        Assert.Equal(Path.GetDirectoryName(cert), Path.GetDirectoryName(key));
        Assert.Equal(("tls.crt", "tls.key"), (Path.GetFileName(cert), Path.GetFileName(key)));
        var mount = MountFor(r, cert);
        Assert.Null(mount["subPath"]);
        Assert.Equal("tls", (string?)mount["name"]);
        Assert.Equal("rwx-guard-tls", (string?)Volume(r, "tls")["secret"]?["secretName"]);
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    /// <summary>The settings.json the pods mount.</summary>
    internal static string SettingsJson(Rendered r)
    {
        var volume = Volume(r, (string)MountFor(r, Arg(r, "--config"))["name"]!);
        var configMap = r.Find("ConfigMap", (string)volume["configMap"]!["name"]!, r.WorkloadNamespace);
        Assert.True(configMap is not null, $"{r.Target}: the settings ConfigMap is not rendered");
        return (string)configMap!["data"]![Path.GetFileName(Arg(r, "--config"))]!;
    }

    /// <summary>One section of the mounted settings, bound and validated as the server does.</summary>
    internal static T Settings<T>(Rendered r, string section, FluentValidation.IValidator<T> validator) where T : class, new()
    {
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(SettingsJson(r)))).Build();
        return SettingsLoader.Bind(configuration, section, validator);
    }

    internal static JsonObject SingleWebhook(JsonObject configuration, string name)
    {
        var webhooks = configuration["webhooks"]!.AsArray();
        Assert.Single(webhooks);
        Assert.Equal(name, (string?)webhooks[0]!["name"]);
        return webhooks[0]!.AsObject();
    }

    internal static IEnumerable<JsonObject> AllWebhooks(Rendered r) =>
        r.Validating["webhooks"]!.AsArray().Concat(r.Mutating["webhooks"]!.AsArray()).Select(w => w!.AsObject());

    private static IEnumerable<JsonNode> Rules(JsonNode webhook) => webhook["rules"]!.AsArray().Select(x => x!);

    internal static IReadOnlyDictionary<string, string> PodLabels(Rendered r) => K8s.Labels(r.Deployment["spec"]!["template"]!["metadata"]);

    internal static IReadOnlyList<string> Args(Rendered r) => K8s.Strings(r.Container["args"]);

    /// <summary>The value of a --flag=value argument.</summary>
    internal static string Arg(Rendered r, string flag)
    {
        var arg = Args(r).SingleOrDefault(a => a.StartsWith(flag + "=", StringComparison.Ordinal));
        Assert.True(arg is not null, $"{r.Target}: the container has no {flag}=… argument");
        return arg![(flag.Length + 1)..];
    }

    internal static JsonObject Volume(Rendered r, string name)
    {
        var volume = r.PodSpec["volumes"]!.AsArray().SingleOrDefault(v => (string?)v!["name"] == name);
        Assert.True(volume is not null, $"{r.Target}: no volume named {name}");
        return volume!.AsObject();
    }

    /// <summary>The volume mount a file path lives under (its directory is the mount path).</summary>
    internal static JsonObject MountFor(Rendered r, string file)
    {
        var dir = Path.GetDirectoryName(file)!;
        var mount = r.Container["volumeMounts"]!.AsArray().SingleOrDefault(m => (string?)m!["mountPath"] == dir);
        Assert.True(mount is not null, $"{r.Target}: {file} is not in a mounted directory (mount the whole directory, no subPath)");
        return mount!.AsObject();
    }
}
