using RwxGuard.Options;
using RwxGuard.Policies;
using RwxGuard.Tests.Infrastructure;
using static RwxGuard.Tests.Infrastructure.Objects;
using RwxGuard.Domain;

namespace RwxGuard.Tests.Policies;

/// <summary>Global mode, per-namespace settings, the namespace label, and which wins.</summary>
public sealed class EnforcementModeResolutionTests
{
    private static NamespaceInfo Labelled(string name, string value) =>
        new() { Name = name, Labels = new Dictionary<string, string> { ["rwx-guard.io/mode"] = value } };

    public static TheoryData<string, EnforcementMode?, string?, EnforcementMode, string> Cases => new()
    {
        // namespace, per-namespace setting, label value, expected mode, expected source
        { "ai", null, null, EnforcementMode.Enforce, EnforcementModes.FromSettings },
        { "ai", null, "warn", EnforcementMode.Warn, EnforcementModes.FromNamespaceLabel },
        { "ai", null, "Audit", EnforcementMode.Audit, EnforcementModes.FromNamespaceLabel },
        { "ai", EnforcementMode.Audit, null, EnforcementMode.Audit, EnforcementModes.FromNamespaceSettings },
        { "ai", EnforcementMode.Enforce, "audit", EnforcementMode.Enforce, EnforcementModes.FromNamespaceSettings }, // settings win
        { "ai", null, "off", EnforcementMode.Enforce, EnforcementModes.FromSettings }, // a typo never disables enforcement
        { "other", EnforcementMode.Audit, null, EnforcementMode.Enforce, EnforcementModes.FromSettings }, // another namespace's setting
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Most_specific_source_wins(string ns, EnforcementMode? configured, string? label, EnforcementMode mode, string source)
    {
        var options = new PolicyOptions();
        if (configured is { } c) options.Namespaces["ai"] = new NamespacePolicyOptions { Mode = c.ToString() };
        var view = new FakeClusterView();
        if (label is not null) view.Add(Labelled("ai", label));

        Assert.Equal(new ResolvedMode(mode, source), EnforcementModes.Resolve(options, ns, view));
    }

    [Fact]
    public void An_empty_label_key_turns_labels_off_and_cluster_scoped_requests_use_the_global_mode()
    {
        var view = new FakeClusterView().Add(Labelled("ai", "audit"));
        Assert.Equal(EnforcementMode.Enforce, EnforcementModes.Resolve(new PolicyOptions { ModeLabel = "" }, "ai", view).Mode);
        Assert.Equal(EnforcementMode.Warn, EnforcementModes.Resolve(new PolicyOptions { Mode = EnforcementMode.Warn }, "", view).Mode);
    }

    [Fact]
    public async Task A_labelled_namespace_is_audited_while_others_are_enforced_end_to_end()
    {
        var view = new FakeClusterView()
            .Add(Claim("data", AccessModes.ReadWriteOnce) with { Namespace = "tzlil-tets" })
            .Add(Labelled("tzlil-tets", "audit"));
        await using var webhook = await RunningWebhook.StartAsync(view);
        var (_, body) = await webhook.Client.PostAsync("/validate",
            Fixtures.MountClaim(Fixtures.Review("datree-deployment-create-replicas2-v1.json"), "data"));
        var response = body["response"]!;
        Assert.True(response["allowed"]!.GetValue<bool>());
        Assert.Null(response["warnings"]);
        Assert.Equal("audit", response["auditAnnotations"]!["mode"]!.GetValue<string>());
        Assert.Equal("namespace-label", response["auditAnnotations"]!["mode-source"]!.GetValue<string>());
        Assert.Equal("replicated-single-attach", response["auditAnnotations"]!["rules"]!.GetValue<string>());
    }

    [Fact]
    public void Per_namespace_settings_bind_from_configuration_and_bad_values_name_the_key()
    {
        var good = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Policy:Namespaces:team-a:Mode"] = "Warn",
        }).Build();
        Assert.Equal("Warn", SettingsLoader.Bind(good, PolicyOptions.Section, new PolicyOptionsValidator()).Namespaces["team-a"].Mode);

        var bad = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Policy:Namespaces:team-a:Mode"] = "Loud",
        }).Build();
        var error = Assert.Throws<SettingsException>(() => SettingsLoader.Bind(bad, PolicyOptions.Section, new PolicyOptionsValidator()));
        Assert.Contains("Policy:Namespaces:team-a:Mode", error.Message);
    }
}
