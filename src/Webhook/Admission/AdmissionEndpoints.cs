namespace RwxGuard.Admission;

public static class AdmissionEndpoints
{
    public static IServiceCollection AddAdmission(this IServiceCollection services) => services;

    public static void MapAdmissionEndpoints(this IEndpointRouteBuilder app)
    {
    }
}
