using System.Text.Json.Nodes;
using RwxGuard.Options;
using RwxGuard.Policies;
using RwxGuard.Tests.Infrastructure;

namespace RwxGuard.Tests.Deploy;

/// <summary>
/// The namespace-label guard (a ValidatingAdmissionPolicy shipped in both overlays and the chart): its CEL evaluated
/// against Namespace AdmissionReviews. The requests are built on the envelope of a real capture
/// (kw-deployment-update-with-oldobject-v1req.json: uid, userInfo, options, dryRun as an API server sends them) with a
/// Namespace object shaped as the API server stores it (kubernetes.io/metadata.name label, managedFields, status).
/// </summary>
public sealed class NamespaceLabelGuardTests
{
    private const string Ignore = "rwx-guard.io/ignore";
    private static readonly string Mode = new PolicyOptions().ModeLabel;
    private static readonly string[] Tenant = ["system:authenticated", "tenant-a"];
    private static readonly string[] Masters = ["system:masters", "system:authenticated"];
    private static readonly string[] RwxGuardAdmins = ["system:authenticated", "rwx-guard-admins"];

    /// <summary>Where the guard is on by default.</summary>
    public static TheoryData<string> GuardedTargets => new(Renderer.Targets.Where(t =>
        t.StartsWith("overlays/", StringComparison.Ordinal) || Renderer.IsChart(t)));

    private static async Task<AdmissionPolicyEvaluator> PolicyAsync(string target)
    {
        var r = await Renderer.RenderAsync(target);
        var policy = r.Single("ValidatingAdmissionPolicy");
        var binding = r.Single("ValidatingAdmissionPolicyBinding");
        Assert.Equal(Rendered.Name(policy), (string?)binding["spec"]!["policyName"]);
        Assert.Equal(["Deny"], K8s.Strings(binding["spec"]!["validationActions"]));
        // No paramRef and no narrowing: the binding applies the policy to every namespace write.
        Assert.Null(binding["spec"]!["paramRef"]);
        Assert.Null(binding["spec"]!["matchResources"]);
        Assert.Equal("Fail", (string?)policy["spec"]!["failurePolicy"]);
        return new AdmissionPolicyEvaluator(policy);
    }

    [Fact]
    public async Task The_guard_is_on_in_both_overlays_and_the_chart_and_off_in_the_bare_base()
    {
        foreach (var target in new[] { "overlays/cert-manager", "overlays/self-managed", Renderer.ChartTarget })
            Assert.Single((await Renderer.RenderAsync(target)).OfKind("ValidatingAdmissionPolicy"));
        Assert.Empty((await Renderer.RenderAsync("base")).OfKind("ValidatingAdmissionPolicy"));
        var off = await Renderer.RenderChartAsync("chart guard off", new() { ["namespaceLabelGuard"] = new JsonObject { ["enabled"] = false } });
        Assert.Empty(off.OfKind("ValidatingAdmissionPolicy"));
        Assert.Empty(off.OfKind("ValidatingAdmissionPolicyBinding"));
    }

    [Theory, MemberData(nameof(GuardedTargets))]
    public async Task Tenants_may_make_enforcement_stricter_but_never_weaker(string target)
    {
        var policy = await PolicyAsync(target);
        (Dictionary<string, string>? Old, Dictionary<string, string> New, bool Allowed)[] cases =
        [
            // A new namespace starts at full strength.
            (null, [], true),
            (null, new() { [Mode] = "enforce" }, true),
            (null, new() { [Ignore] = "true" }, false),
            (null, new() { [Mode] = "audit" }, false),
            (null, new() { [Mode] = "warn" }, false),
            (null, new() { [Mode] = "typo" }, false),
            // The opt-out label: only removing it (or leaving it) is open to everyone.
            ([], new() { [Ignore] = "true" }, false),
            ([], new() { [Ignore] = "false" }, false),       // any value opts out (namespaceSelector: DoesNotExist)
            (new() { [Ignore] = "true" }, [], true),
            (new() { [Ignore] = "true" }, new() { [Ignore] = "yes" }, true),
            (new() { [Ignore] = "true" }, new() { [Ignore] = "true", ["team"] = "a" }, true),
            (new() { [Mode] = "audit" }, new() { [Mode] = "audit", [Ignore] = "true" }, false),
            // enforce > warn > audit; no label is the platform's mode and ranks with enforce.
            ([], new() { [Mode] = "audit" }, false),
            ([], new() { [Mode] = "warn" }, false),
            ([], new() { [Mode] = "enforce" }, true),
            (new() { [Mode] = "enforce" }, new() { [Mode] = "warn" }, false),
            (new() { [Mode] = "warn" }, new() { [Mode] = "audit" }, false),
            (new() { [Mode] = "audit" }, new() { [Mode] = "warn" }, true),
            (new() { [Mode] = "warn" }, new() { [Mode] = "Enforce" }, true),
            (new() { [Mode] = "audit" }, [], true),
            (new() { [Mode] = "enforce" }, [], true),
            (new() { [Mode] = "audit" }, new() { [Mode] = "AUDIT" }, true),
            // Values the policy does not know rank with audit, whatever the server would make of them.
            (new() { [Mode] = "enforce" }, new() { [Mode] = "0" }, false),
            (new() { [Mode] = "warn" }, new() { [Mode] = "bogus" }, false),
            (new() { [Mode] = "bogus" }, new() { [Mode] = "audit" }, true),
            // Unrelated labels are nobody's business here.
            ([], new() { ["team"] = "a" }, true),
            (new() { [Mode] = "audit", ["team"] = "a" }, new() { [Mode] = "audit", ["team"] = "b" }, true),
        ];
        foreach (var (old, @new, allowed) in cases)
        {
            var decision = policy.Evaluate(NamespaceRequest(old, @new, Tenant));
            Assert.True(decision.Error is null, $"{target}: {Describe(old, @new)}: {decision}");
            Assert.True(decision.Allowed == allowed, $"{target}: tenant {Describe(old, @new)}: expected {(allowed ? "allowed" : "denied")}, got {decision}");
            if (!allowed) Assert.Contains("rwx-guard.io/ignore", decision.Message);

            // The admin groups may do anything, tenants' stricter changes included.
            foreach (var groups in new[] { Masters, RwxGuardAdmins })
                Assert.True(policy.Evaluate(NamespaceRequest(old, @new, groups)).Allowed, $"{target}: {string.Join(',', groups)} {Describe(old, @new)}");
        }
    }

    [Theory, MemberData(nameof(GuardedTargets))]
    public async Task Every_way_of_writing_a_namespace_is_checked_and_deletes_are_not(string target)
    {
        var policy = await PolicyAsync(target);
        foreach (var sub in new[] { "status", "finalize" })
        {
            var request = NamespaceRequest([], new() { [Ignore] = "true" }, Tenant);
            request["subResource"] = sub;
            Assert.False(policy.Evaluate(request).Allowed, $"{target}: namespaces/{sub} UPDATE adding {Ignore}");
        }
        var delete = NamespaceRequest(new() { [Mode] = "enforce" }, [], Tenant);
        delete["operation"] = "DELETE";
        delete["object"] = null;
        Assert.False(policy.Evaluate(delete).Matched);
        // A request whose userInfo has no groups (a token for a user in no group) is a tenant, not an error.
        var noGroups = NamespaceRequest([], new() { [Mode] = "audit" }, Tenant);
        noGroups["userInfo"]!.AsObject().Remove("groups");
        var decision = policy.Evaluate(noGroups);
        Assert.True(decision.Error is null && !decision.Allowed, decision.ToString());
    }

    [Theory, MemberData(nameof(GuardedTargets))]
    public async Task A_label_value_ranks_no_stronger_than_the_mode_the_server_makes_of_it(string target)
    {
        // Tie the policy to the server's parsing: if a tenant may move a namespace from mode=enforce to a value, the
        // server must read that value as Enforce; from warn, as Warn or Enforce. Otherwise the label is an escape.
        var policy = await PolicyAsync(target);
        foreach (var value in new[] { "enforce", "Enforce", "ENFORCE", "warn", "Warn", "audit", "Audit", "0", "1", "2", "3", "bogus", "enforced", "en" })
        {
            var parsed = EnforcementModes.TryParse(value, out var mode) ? mode : (EnforcementMode?)null;
            if (policy.Evaluate(NamespaceRequest(new() { [Mode] = "enforce" }, new() { [Mode] = value }, Tenant)).Allowed)
                Assert.True(parsed == EnforcementMode.Enforce, $"{target}: tenants may set {Mode}={value}, which the server reads as {parsed}");
            if (policy.Evaluate(NamespaceRequest(new() { [Mode] = "warn" }, new() { [Mode] = value }, Tenant)).Allowed)
                Assert.True(parsed is EnforcementMode.Enforce or EnforcementMode.Warn, $"{target}: tenants may move warn to {value} ({parsed})");
        }
    }

    [Theory, MemberData(nameof(GuardedTargets))]
    public async Task The_guarded_opt_out_label_is_the_one_the_webhooks_skip(string target)
    {
        var r = await Renderer.RenderAsync(target);
        var keys = ManifestInvariantTests.AllWebhooks(r)
            .SelectMany(w => w["namespaceSelector"]!["matchExpressions"]!.AsArray())
            .Where(e => (string?)e!["operator"] == "DoesNotExist").Select(e => (string)e!["key"]!).Distinct().ToList();
        Assert.Equal([Ignore], keys);
    }

    [Fact]
    public async Task Chart_values_set_the_admin_groups_and_follow_the_mode_label()
    {
        var r = await Renderer.RenderChartAsync("chart custom guard", new()
        {
            ["namespaceLabelGuard"] = new JsonObject { ["adminGroups"] = new JsonArray("platform-admins", "o'brien \"quoted\"") },
            ["settings"] = new JsonObject { ["Policy"] = new JsonObject { ["ModeLabel"] = "example.com/rwx-mode" } },
        });
        var policy = new AdmissionPolicyEvaluator(r.Single("ValidatingAdmissionPolicy"));
        Assert.True(policy.Evaluate(NamespaceRequest([], new() { [Ignore] = "true" }, ["platform-admins"])).Allowed);
        Assert.True(policy.Evaluate(NamespaceRequest([], new() { [Ignore] = "true" }, ["o'brien \"quoted\""])).Allowed);
        Assert.False(policy.Evaluate(NamespaceRequest([], new() { [Ignore] = "true" }, Masters)).Allowed); // replaced, not added
        Assert.False(policy.Evaluate(NamespaceRequest([], new() { ["example.com/rwx-mode"] = "audit" }, Tenant)).Allowed);
        Assert.True(policy.Evaluate(NamespaceRequest([], new() { [Mode] = "audit" }, Tenant)).Allowed); // no longer read by the server

        // Labels turned off (empty ModeLabel): only the opt-out label is guarded.
        var off = await Renderer.RenderChartAsync("chart no mode label", new()
        {
            ["settings"] = new JsonObject { ["Policy"] = new JsonObject { ["ModeLabel"] = "" } },
        });
        var noLabels = new AdmissionPolicyEvaluator(off.Single("ValidatingAdmissionPolicy"));
        Assert.True(noLabels.Evaluate(NamespaceRequest([], new() { [Mode] = "audit" }, Tenant)).Allowed);
        Assert.False(noLabels.Evaluate(NamespaceRequest([], new() { [Ignore] = "true" }, Tenant)).Allowed);
    }

    [Fact]
    public void The_evaluator_fails_closed_on_an_expression_that_errors()
    {
        var policy = new AdmissionPolicyEvaluator(JsonNode.Parse("""
            {"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicy","spec":{
              "failurePolicy":"Fail",
              "matchConstraints":{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"resources":["namespaces"],"operations":["UPDATE"]}]},
              "validations":[{"expression":"object.metadata.labels['missing'] == 'x'"}]}}
            """)!.AsObject());
        var decision = policy.Evaluate(NamespaceRequest([], [], Tenant));
        Assert.False(decision.Allowed);
        Assert.NotNull(decision.Error);
    }

    private static string Describe(Dictionary<string, string>? old, Dictionary<string, string> @new) =>
        $"{(old is null ? "CREATE" : "{" + string.Join(",", old.Select(kv => $"{kv.Key}={kv.Value}")) + "}")} -> {{{string.Join(",", @new.Select(kv => $"{kv.Key}={kv.Value}"))}}}";

    /// <summary>A Namespace CREATE (old null) or UPDATE on the envelope of a real captured request.</summary>
    internal static JsonObject NamespaceRequest(Dictionary<string, string>? oldLabels, Dictionary<string, string> newLabels, string[] groups)
    {
        var request = JsonNode.Parse(Fixtures.Read(Path.Combine("admission", "kw-deployment-update-with-oldobject-v1req.json")))!.AsObject();
        const string name = "team-a";
        request["kind"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["kind"] = "Namespace" };
        request["resource"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["resource"] = "namespaces" };
        request["requestKind"] = request["kind"]!.DeepClone();
        request["requestResource"] = request["resource"]!.DeepClone();
        request["name"] = name;
        request.Remove("namespace");
        request["operation"] = oldLabels is null ? "CREATE" : "UPDATE";
        request["userInfo"] = new JsonObject { ["username"] = "someone", ["groups"] = new JsonArray(groups.Select(g => (JsonNode)g).ToArray()) };
        request["object"] = Namespace(name, newLabels);
        request["oldObject"] = oldLabels is null ? null : Namespace(name, oldLabels);
        return request;
    }

    private static JsonObject Namespace(string name, Dictionary<string, string> labels)
    {
        var all = new JsonObject { ["kubernetes.io/metadata.name"] = name };
        foreach (var (k, v) in labels) all[k] = v;
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Namespace",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["uid"] = "2f1a8b4e-5b1c-4a0e-9d3e-7c1f0a6b9e21",
                ["resourceVersion"] = "48213",
                ["creationTimestamp"] = "2025-03-04T10:00:00Z",
                ["labels"] = all,
                ["managedFields"] = new JsonArray(new JsonObject
                {
                    ["manager"] = "kubectl-label", ["operation"] = "Update", ["apiVersion"] = "v1",
                    ["time"] = "2025-03-04T10:00:00Z", ["fieldsType"] = "FieldsV1",
                    ["fieldsV1"] = new JsonObject { ["f:metadata"] = new JsonObject { ["f:labels"] = new JsonObject() } },
                }),
            },
            ["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") },
            ["status"] = new JsonObject { ["phase"] = "Active" },
        };
    }
}
