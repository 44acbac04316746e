using RwxGuard.Options;
using RwxGuard.Policies;

namespace RwxGuard.Tests.Options;

/// <summary>Bad configuration stops the start with a message naming the key.</summary>
public sealed class SettingsTests
{
    private static SettingsException StartWith(string[] args, Dictionary<string, string?>? settings = null) =>
        Assert.Throws<SettingsException>(() => WebhookHost.Build(args, b =>
        {
            b.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Cluster:Connection"] = "Offline" });
            if (settings is not null) b.Configuration.AddInMemoryCollection(settings);
        }));

    [Theory]
    [InlineData("Server:Port", "70000", "Server:Port")]
    [InlineData("Server:MaxRequestBodyBytes", "10", "Server:MaxRequestBodyBytes")]
    [InlineData("Cluster:BackoffInitialSeconds", "0", "Cluster:BackoffInitialSeconds")]
    [InlineData("Cluster:StaleAfterSeconds", "-1", "Cluster:StaleAfterSeconds")]
    [InlineData("Policy:Mode", "Block", "Policy:Mode")]
    [InlineData("Policy:OnClaimNotFound", "maybe", "Policy:OnClaimNotFound")]
    [InlineData("Server:Port", "eighty", "Server:Port")]
    // The binder reads a number or a flags list into an enum; nobody means Audit by "2" or by "Enforce, Audit".
    [InlineData("Policy:Mode", "2", "Policy:Mode")]
    [InlineData("Policy:Mode", "Enforce, Audit", "Policy:Mode")]
    [InlineData("Policy:RollingUpdateSurge", "0", "Policy:RollingUpdateSurge")]
    [InlineData("Policy:Namespaces:ai:Mode", "2", "Policy:Namespaces:ai:Mode")]
    [InlineData("Reporting:Format", "1", "Reporting:Format")]
    [InlineData("Mutation:OnNoRwxClass", "Warn,Deny", "Mutation:OnNoRwxClass")]
    [InlineData("Server:SettingsPollSeconds", "0", "Server:SettingsPollSeconds")]
    public void Invalid_value_names_its_key(string key, string value, string named)
    {
        var error = StartWith([], new() { [key] = value });
        Assert.Contains(named, error.Message);
    }

    [Fact]
    public void Flags_use_kubernetes_names_and_are_validated()
    {
        Assert.Contains("Server:Port", StartWith(["--port", "-1"]).Message);
        var missing = StartWith(["--tls-cert-file", "/nonexistent/tls.crt"]);
        Assert.Contains("Server:TlsCertFile", missing.Message);
        Assert.Contains("Server:TlsPrivateKeyFile", missing.Message); // the pair is incomplete too: both reported
        Assert.Contains("does not exist", StartWith(["--kubeconfig", "/nonexistent/config"]).Message);
    }

    [Fact]
    public void Client_certificates_without_the_plain_probe_port_are_refused_naming_both_keys()
    {
        var ca = Path.Combine(Path.GetTempPath(), $"rwx-guard-{Guid.NewGuid():N}.crt");
        File.WriteAllText(ca, "not read: the port check fails first");
        try
        {
            var error = StartWith(["--client-ca-file", ca, "--metrics-port", "-1"]);
            Assert.Contains("Server:MetricsPort", error.Message);
            Assert.Contains("Server:ClientCaFile", error.Message);
        }
        finally
        {
            File.Delete(ca);
        }
    }

    [Fact]
    public void Settings_file_is_read_and_a_missing_one_is_reported()
    {
        Assert.Contains("/nonexistent/settings.json", StartWith(["--config", "/nonexistent/settings.json"]).Message);

        var file = Path.Combine(Path.GetTempPath(), $"rwx-guard-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, """{ "Policy": { "Mode": "Sometimes" } }""");
        try
        {
            Assert.Contains("Policy:Mode", StartWith(["--config", file]).Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Case_insensitive_enum_values_and_defaults_are_accepted()
    {
        var config = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Policy:Mode"] = "warn" }).Build();
        var policy = SettingsLoader.Bind(config, PolicyOptions.Section, new PolicyOptionsValidator());
        Assert.Equal(EnforcementMode.Warn, policy.Mode);
        Assert.Equal(RuleAction.Warn, policy.OnClaimNotFound);
        Assert.Equal(8443, new ServerOptions().Port);
    }
}
