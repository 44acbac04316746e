using RwxGuard.Mapping;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using RwxGuard.Cluster;
using RwxGuard.Migrate;
using RwxGuard.Options;
using RwxGuard.Policies;

namespace RwxGuard.Verify;

/// <summary>Reads a namespace for <c>webhook verify</c>, changing nothing.</summary>
public static class VerifyReader
{
    public static async Task<VerifyInput> ReadAsync(IKubernetes k, string ns, PolicyOptions policy, MutationOptions mutation, string settingsSource,
        DateTimeOffset now, CancellationToken ct)
    {
        var nsObject = await ClusterReader.OrNull(() => k.CoreV1.ReadNamespaceAsync(ns, cancellationToken: ct));
        // Whether the webhook is installed is a cluster-scoped question an application team may not be allowed to ask.
        V1ValidatingWebhookConfigurationList? webhooks = null;
        var webhooksReadable = true;
        try
        {
            webhooks = await k.AdmissionregistrationV1.ListValidatingWebhookConfigurationAsync(cancellationToken: ct);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound)
        {
            webhooksReadable = false;
        }
        return new VerifyInput
        {
            Namespace = ns,
            NamespaceLabels = nsObject?.Metadata?.Labels is { } labels ? new Dictionary<string, string>(labels) : new Dictionary<string, string>(),
            Deployments = (await k.AppsV1.ListNamespacedDeploymentAsync(ns, cancellationToken: ct)).Items.ToList(),
            StatefulSets = (await k.AppsV1.ListNamespacedStatefulSetAsync(ns, cancellationToken: ct)).Items.ToList(),
            Claims = (await k.CoreV1.ListNamespacedPersistentVolumeClaimAsync(ns, cancellationToken: ct)).Items.ToList(),
            Pods = (await k.CoreV1.ListNamespacedPodAsync(ns, cancellationToken: ct)).Items.ToList(),
            Events = (await k.CoreV1.ListNamespacedEventAsync(ns, cancellationToken: ct)).Items.ToList(),
            Autoscalers = (await k.AutoscalingV2.ListNamespacedHorizontalPodAutoscalerAsync(ns, cancellationToken: ct)).Items.Select(h => ModelMapping.ToHpa(h)).ToList(),
            StorageClasses = (await k.StorageV1.ListStorageClassAsync(cancellationToken: ct)).Items.Select(c => ModelMapping.ToStorageClass(c)).ToList(),
            Webhooks = webhooks?.Items.ToList() ?? [],
            WebhooksReadable = webhooksReadable,
            Policy = policy,
            Mutation = mutation,
            SettingsSource = settingsSource,
            Now = now,
        };
    }
}
