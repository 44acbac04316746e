using RwxGuard.Policies;

namespace RwxGuard.Admission;

/// <summary>POST /validate (Policy 1) and POST /mutate (Policy 2).</summary>
public static class AdmissionEndpoints
{
    public static IServiceCollection AddAdmission(this IServiceCollection services)
    {
        services.AddSingleton<ReplicatedWorkloadPolicy>();
        services.AddSingleton<ValidatingHandler>();
        services.AddSingleton<ClaimMutationPolicy>();
        services.AddSingleton<MutatingHandler>();
        services.AddSingleton<AdmissionDecider>();
        services.AddSingleton<DecisionRecorder>();
        services.AddSingleton<AdmissionHttp>();
        return services;
    }

    public static void MapAdmissionEndpoints(this IEndpointRouteBuilder app)
    {
        var admission = app.MapGroup("").WithTags("admission");
        admission.MapPost("/validate", (HttpContext http, AdmissionHttp shell, ValidatingHandler handler) => shell.HandleAsync(http, handler));
        admission.MapPost("/mutate", (HttpContext http, AdmissionHttp shell, MutatingHandler handler) => shell.HandleAsync(http, handler));
    }
}
