using RwxGuard.Domain;
using RwxGuard.Mapping;

namespace RwxGuard.Tests.Mapping;

/// <summary>
/// What the cluster view keeps per object is paid tens of thousands of times (issue 16): records kept with
/// <see cref="Retention.Cached"/> share what repeats and hold no spare capacity; admitted objects are left as decoded.
/// </summary>
public sealed class CachedRecordSizeTests
{
    private static ClaimObject Claim(string name, params (string Key, string Value)[] labels) => new()
    {
        // New strings each time, as a decoder makes them.
        Metadata = new AnnotatedObjectMeta
        {
            Name = name,
            Namespace = "ns",
            Labels = labels.ToDictionary(l => new string(l.Key.AsSpan()), l => l.Value),
        },
    };

    [Fact]
    public void Cached_claims_share_label_keys_and_admitted_ones_do_not()
    {
        // A recommended label key: shared whatever other tests have put in the (process-wide, bounded) pool.
        var a = ShapeMapping.ToClaim(Claim("a", ("app.kubernetes.io/part-of", "x")), null, null, Retention.Cached);
        var b = ShapeMapping.ToClaim(Claim("b", ("app.kubernetes.io/part-of", "y")), null, null, Retention.Cached);
        Assert.Same(a.Labels.Keys.Single(), b.Labels.Keys.Single());

        var c = ShapeMapping.ToClaim(Claim("c", ("app.kubernetes.io/part-of", "z")), null, null);
        Assert.NotSame(a.Labels.Keys.Single(), c.Labels.Keys.Single());
    }

    [Fact]
    public void The_pool_of_shared_label_keys_is_bounded()
    {
        // Keys are anyone's text: past the pool's bound a new key is kept as decoded, never interned for good.
        for (var i = 0; i < 5000; i++)
            ShapeMapping.ToClaim(Claim($"c{i}", ($"example.com/key-{Guid.NewGuid():N}", "v")), null, null, Retention.Cached);
        var key = $"example.com/late-{Guid.NewGuid():N}";
        var first = ShapeMapping.ToClaim(Claim("p", (key, "v")), null, null, Retention.Cached);
        var second = ShapeMapping.ToClaim(Claim("q", (key, "v")), null, null, Retention.Cached);
        Assert.NotSame(first.Labels.Keys.Single(), second.Labels.Keys.Single());
        Assert.Equal("v", second.Labels[key]);
    }

    [Fact]
    public void Cached_label_tables_hold_no_spare_room()
    {
        var labels = Enumerable.Range(0, 8).Select(i => ($"k{i}", "v")).ToArray();
        var cached = Assert.IsType<Dictionary<string, string>>(ShapeMapping.ToClaim(Claim("a", labels), null, null, Retention.Cached).Labels);
        var admitted = Assert.IsType<Dictionary<string, string>>(ShapeMapping.ToClaim(Claim("a", labels), null, null).Labels);
        Assert.Equal(8, cached.Count);
        // Dictionary capacities are primes: the smallest at or above 8 is 11; grown one by one it is 17.
        Assert.Equal(11, cached.EnsureCapacity(0));
        Assert.Equal(17, admitted.EnsureCapacity(0));
    }

    [Fact]
    public void Owned_replicasets_share_the_owner_text_and_an_empty_container_list()
    {
        WorkloadInfo Owned(string name) => ShapeMapping.ToWorkload(WorkloadKind.ReplicaSet, new WorkloadObject
        {
            Metadata = new ObjectMeta
            {
                Name = name,
                Namespace = "ns",
                OwnerReferences = [new OwnerReference { ApiVersion = new string("apps/v1".AsSpan()), Kind = new string("Deployment".AsSpan()), Name = "web", Uid = "u", Controller = true }],
            },
            Spec = new WorkloadSpec
            {
                Template = new PodTemplate
                {
                    Spec = new PodSpec
                    {
                        Containers = [new Container { Image = "nginx" }],
                        Volumes = [new Volume { Name = "data", PersistentVolumeClaim = new ClaimVolumeSource { ClaimName = "data" } }],
                    },
                },
            },
        }, null, null, Retention.Cached);

        var (a, b) = (Owned("web-1"), Owned("web-2"));
        Assert.Same(a.ControllerOwner!.ApiVersion, b.ControllerOwner!.ApiVersion);
        Assert.Same(a.ControllerOwner.Kind, b.ControllerOwner.Kind);
        Assert.Same(a.Template.Containers, b.Template.Containers); // none kept: decided through the Deployment
        Assert.Equal(["data"], a.Template.ClaimNames);
        Assert.IsType<string[]>(a.Template.ClaimNames); // exact size, no List with spare capacity
    }
}
