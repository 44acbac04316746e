{{/* Chart name, overridable. */}}
{{- define "rwx-guard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: the release name when it already contains the chart name ("rwx-guard" for the README's install). */}}
{{- define "rwx-guard.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "rwx-guard.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The image tag (also the app.kubernetes.io/version label). */}}
{{- define "rwx-guard.version" -}}
{{- default .Chart.AppVersion .Values.image.tag }}
{{- end }}

{{- define "rwx-guard.image" -}}
{{- $image := printf "%s:%s" .Values.image.repository (include "rwx-guard.version" .) }}
{{- if .Values.image.digest }}{{ $image = printf "%s@%s" $image .Values.image.digest }}{{ end }}
{{- $image }}
{{- end }}

{{/* Selector labels: never the version (selectors are immutable, the version changes on every upgrade). */}}
{{- define "rwx-guard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "rwx-guard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: webhook
{{- end }}

{{/* Standard labels; pass (dict "ctx" $ "component" "…") for another component. */}}
{{- define "rwx-guard.labels" -}}
{{- $ctx := .ctx | default . -}}
helm.sh/chart: {{ include "rwx-guard.chart" $ctx }}
app.kubernetes.io/name: {{ include "rwx-guard.name" $ctx }}
app.kubernetes.io/instance: {{ $ctx.Release.Name }}
app.kubernetes.io/component: {{ .component | default "webhook" }}
app.kubernetes.io/part-of: rwx-guard
app.kubernetes.io/version: {{ include "rwx-guard.version" $ctx | quote }}
app.kubernetes.io/managed-by: {{ $ctx.Release.Service }}
{{- end }}

{{- define "rwx-guard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "rwx-guard.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret the pods mount: tls.crt and tls.key. */}}
{{- define "rwx-guard.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "rwx-guard.fullname" .)) .Values.tls.existingSecret }}
{{- end }}

{{/* How the serving certificate is provided: certManager, existingSecret or generated. */}}
{{- define "rwx-guard.certificateSource" -}}
{{- if and .Values.certManager.enabled .Values.tls.existingSecret }}
{{- fail "certManager.enabled and tls.existingSecret are two ways to provide the serving certificate: set one" }}
{{- else if .Values.certManager.enabled }}certManager
{{- else if .Values.tls.existingSecret }}existingSecret
{{- else }}generated
{{- end }}
{{- end }}

{{/* The names the API server calls the Service by; the serving certificate must hold them. */}}
{{- define "rwx-guard.serviceDnsNames" -}}
{{- $svc := include "rwx-guard.fullname" . }}
{{- $ns := .Release.Namespace }}
{{- list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.%s" $svc $ns .Values.tls.clusterDomain) | toJson }}
{{- end }}

{{/* The namespaces neither webhook ever matches: the system ones, the release's own, and any extra. */}}
{{- define "rwx-guard.namespaceSelector" -}}
matchExpressions:
  - key: kubernetes.io/metadata.name
    operator: NotIn
    values: {{ concat (list "kube-system" "kube-node-lease" "kube-public" .Release.Namespace) .Values.webhook.extraExemptNamespaces | uniq | toJson }}
  - key: rwx-guard.io/ignore
    operator: DoesNotExist
{{- end }}

{{/* The Lease the reporter elects its writer with (Reporting:LeaseName). */}}
{{- define "rwx-guard.leaseName" -}}
{{- $reporting := .Values.settings.Reporting | default dict }}
{{- $reporting.LeaseName | default "rwx-guard-reporter" }}
{{- end }}

{{- define "rwx-guard.reportingEnabled" -}}
{{- $reporting := .Values.settings.Reporting | default dict }}
{{- if or (not (hasKey $reporting "Enabled")) $reporting.Enabled }}true{{ end }}
{{- end }}

{{/* The namespace label that sets the mode (Policy:ModeLabel); empty turns labels off. */}}
{{- define "rwx-guard.modeLabel" -}}
{{- $policy := .Values.settings.Policy | default dict }}
{{- if hasKey $policy "ModeLabel" }}{{ $policy.ModeLabel }}{{ else }}rwx-guard.io/mode{{ end }}
{{- end }}

{{/*
Every name a namespace's reports can have (PolicyReportBuilder.Names): rwx-guard, rwx-guard-2 … rwx-guard-32.
*/}}
{{- define "rwx-guard.reportNames" -}}
{{- $names := list "\"rwx-guard\"" -}}
{{- range $i := untilStep 2 33 1 -}}
{{- $names = append $names (printf "\"rwx-guard-%d\"" $i) -}}
{{- end -}}
{{- join ", " $names -}}
{{- end }}
