{{/*
Name helpers shared by every template. Names are truncated to 63 characters because some Kubernetes
name fields are limited to that (DNS-1123 labels).
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "okra.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The fully qualified app name: fullnameOverride, else the release name when it already contains the
chart name, else "<release>-<chart>". Cluster-scoped objects (ClusterRoles, bindings) carry it too, so
two releases never collide.
*/}}
{{- define "okra.fullname" -}}
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

{{/* "<name>-<version>" for the helm.sh/chart label. */}}
{{- define "okra.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "okra.labels" -}}
helm.sh/chart: {{ include "okra.chart" . }}
{{ include "okra.selectorLabels" . }}
app.kubernetes.io/version: {{ include "okra.imageTag" . | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/component: controller-manager
app.kubernetes.io/part-of: okra
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Labels that select okrad's pods; they must never change between upgrades. */}}
{{- define "okra.selectorLabels" -}}
app.kubernetes.io/name: {{ include "okra.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The ServiceAccount okrad runs as (and RBAC binds to). */}}
{{- define "okra.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "okra.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The image tag: image.tag, else the chart's appVersion. */}}
{{- define "okra.imageTag" -}}
{{- default .Chart.AppVersion .Values.image.tag }}
{{- end }}

{{/* The image reference: a digest wins over the tag. */}}
{{- define "okra.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (include "okra.imageTag" .) }}
{{- end }}
{{- end }}

{{/*
True (non-empty) when okrad watches one namespace other than its own: its namespaced permissions are
then granted in that namespace only, and reading Secrets in its own namespace (the default Datadog
credentials) needs a rule of its own.
*/}}
{{- define "okra.watchesOtherNamespace" -}}
{{- if and .Values.watchNamespace (ne .Values.watchNamespace .Release.Namespace) }}true{{ end }}
{{- end }}

{{/* okrad's command-line arguments, built from values; extraArgs come last so they can override. */}}
{{- define "okra.args" -}}
- {{ printf "--metrics-bind-address=:%v" .Values.metrics.port | quote }}
- {{ printf "--resync-period=%v" .Values.resyncPeriod | quote }}
- {{ printf "--log-level=%v" .Values.logLevel | quote }}
- {{ printf "--workers=%v" .Values.workers | quote }}
- {{ printf "--analysis-engine=%v" .Values.analysisEngine | quote }}
- {{ printf "--analysis-instance-id=%v" .Values.analysisInstanceId | quote }}
{{- if .Values.leaderElection.enabled }}
- "--leader-elect"
- {{ printf "--leader-election-id=%v" .Values.leaderElection.id | quote }}
{{- end }}
{{- with .Values.watchNamespace }}
- {{ printf "--namespace=%v" . | quote }}
{{- end }}
{{- with .Values.region }}
- {{ printf "--region=%v" . | quote }}
{{- end }}
{{- with .Values.awsEndpoint }}
- {{ printf "--aws-endpoint=%v" . | quote }}
{{- end }}
{{- range .Values.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end }}
