using RwxGuard.Options;
using RwxGuard.Policies;

namespace RwxGuard.Tests.Mutation;

/// <summary>The "Mutation" section: binding from a settings file, defaults, and errors that name the key.</summary>
public sealed class MutationSettingsTests
{
    private static SettingsException StartWith(Dictionary<string, string?> settings) =>
        Assert.Throws<SettingsException>(() => WebhookHost.Build([], b =>
        {
            b.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Cluster:Connection"] = "Offline" });
            b.Configuration.AddInMemoryCollection(settings);
        }));

    [Theory]
    [InlineData("Mutation:OnNoRwxClass", "Ignore", "Mutation:OnNoRwxClass: must be Warn or Deny")]
    [InlineData("Mutation:OnNoRwxClass", "Sometimes", "Mutation:OnNoRwxClass")]
    [InlineData("Mutation:StorageClass", "EFS_SC", "Mutation:StorageClass: 'EFS_SC' is not a valid StorageClass name")]
    [InlineData("Mutation:Namespaces:Team_A:StorageClass", "efs-sc", "Mutation:Namespaces:Team_A: 'Team_A' is not a valid namespace name")]
    [InlineData("Mutation:Namespaces:team-a:StorageClass", "", "Mutation:Namespaces:team-a:StorageClass")]
    [InlineData("Mutation:Selectors:0:Names:0", "", "Mutation:Selectors:0")]
    [InlineData("Mutation:Selectors:0:Labels:app", " ", "Mutation:Selectors:0:Labels:app")]
    [InlineData("Mutation:RwxProvisioners:0", " ", "Mutation:RwxProvisioners")]
    public void Invalid_value_names_its_key(string key, string value, string named)
    {
        var error = StartWith(new() { [key] = value });
        Assert.Contains(named, error.Message);
    }

    [Fact]
    public void Settings_file_binds_every_key_and_configured_lists_replace_the_defaults()
    {
        var file = Path.Combine(Path.GetTempPath(), $"rwx-guard-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, """
            {
              "Mutation": {
                "Selectors": [
                  { "Labels": { "app.kubernetes.io/name": "anythingllm" }, "Namespaces": [ "llm-*" ] },
                  { "Names": [ "*-storage-claim" ] }
                ],
                "StorageClass": "efs-sc",
                "Namespaces": { "team-a": { "StorageClass": "efs-team-a" } },
                "RwxProvisioners": [ "efs.csi.aws.com", "driver.longhorn.io" ],
                "OnNoRwxClass": "deny"
              }
            }
            """);
        try
        {
            var configuration = new ConfigurationBuilder().AddJsonFile(file).Build();
            var options = SettingsLoader.Bind(configuration, MutationOptions.Section, new MutationOptionsValidator());

            Assert.Equal(2, options.EffectiveSelectors.Count);
            Assert.Equal("anythingllm", options.EffectiveSelectors[0].Labels!["app.kubernetes.io/name"]);
            Assert.Equal(["llm-*"], options.EffectiveSelectors[0].Namespaces!);
            Assert.Equal(["*-storage-claim"], options.EffectiveSelectors[1].Names!);
            Assert.Equal("efs-sc", options.StorageClass);
            Assert.Equal("efs-team-a", options.NamespaceStorageClass("team-a"));
            Assert.Null(options.NamespaceStorageClass("team-b"));
            Assert.Equal(["efs.csi.aws.com", "driver.longhorn.io"], options.EffectiveRwxProvisioners);
            Assert.Equal(RuleAction.Deny, options.OnNoRwxClass);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Defaults_select_anythingllm_by_label_name_and_mounting_image_and_know_the_rwx_provisioners()
    {
        var options = SettingsLoader.Bind(new ConfigurationBuilder().Build(), MutationOptions.Section, new MutationOptionsValidator());
        Assert.Equal(RuleAction.Warn, options.OnNoRwxClass);
        Assert.Null(options.StorageClass);
        Assert.Equal(4, options.EffectiveSelectors.Count);
        Assert.Equal(["*anythingllm*", "*anything-llm*"], options.EffectiveSelectors[2].Names!);
        Assert.Equal(["anythingllm", "anything-llm"], options.EffectiveSelectors[3].MountedByImages!);
        Assert.Contains("efs.csi.aws.com", options.EffectiveRwxProvisioners);
        Assert.Contains("file.csi.azure.com", options.EffectiveRwxProvisioners);
        Assert.Contains("filestore.csi.storage.gke.io", options.EffectiveRwxProvisioners);
        Assert.Contains("cephfs.csi.ceph.com", options.EffectiveRwxProvisioners);
        Assert.Contains("*.cephfs.csi.ceph.com", options.EffectiveRwxProvisioners);
        Assert.Contains("nfs.csi.k8s.io", options.EffectiveRwxProvisioners);
        Assert.Contains("*nfs-subdir-external-provisioner", options.EffectiveRwxProvisioners);
    }
}
