# syntax=docker/dockerfile:1
# rwx-guard admission webhook.
#   docker build -t registry.example.com/rwx-guard:0.1.0 .
# Runtime: chiseled ASP.NET (no shell, no package manager), non-root user 1654 ("app"), the same UID the
# manifests' securityContext.runAsUser names.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project and build files only, so the package layer is cached across source edits.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/Webhook/Webhook.csproj src/Webhook/
RUN dotnet restore src/Webhook/Webhook.csproj
COPY src/ src/
# Exactly the publish command CI runs (tests/Webhook.Tests/Deploy runs this line).
RUN dotnet publish src/Webhook/Webhook.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled AS runtime
WORKDIR /app
COPY --from=build /app ./
# The base image sets ASPNETCORE_HTTP_PORTS=8080; the server listens on --port (HTTPS) only.
ENV ASPNETCORE_HTTP_PORTS=""
# 8443: HTTPS admission and probes (--port). 9090: metrics (plain HTTP, coming).
EXPOSE 8443 9090
USER 1654
ENTRYPOINT ["dotnet", "webhook.dll"]
