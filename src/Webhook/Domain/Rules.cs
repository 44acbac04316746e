namespace RwxGuard.Domain;

/// <summary>Rule names: stable identifiers used in audit annotations, metrics and reports.</summary>
public static class Rules
{
    public const string ReplicatedSingleAttach = "replicated-single-attach";
    public const string ExistingViolation = "existing-violation";
    public const string RollingUpdateSurge = "rolling-update-surge";
    public const string AnythingLlmSqlite = "anythingllm-sqlite";
    public const string AnythingLlmLanceDb = "anythingllm-lancedb";
    public const string SharedSingleAttach = "shared-single-attach";
    public const string ClaimNotFound = "claim-not-found";
    public const string WorkloadNotFound = "workload-not-found";
    public const string ClusterUnavailable = "cluster-unavailable";
    /// <summary>The cluster view kept only part of a huge pod template (Mapping.Retention.Cached).</summary>
    public const string TemplateTruncated = "template-truncated";
    public const string ClaimMutated = "claim-rwx";
    public const string ClaimLeftAlone = "claim-left-alone";
    public const string NoRwxClass = "no-rwx-class";
    public const string StorageClassNotFound = "storage-class-not-found";
}
