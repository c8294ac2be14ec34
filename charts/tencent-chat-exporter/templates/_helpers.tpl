{{/*
Names and labels shared by every template. Object names are DNS labels: at most 63 characters.
*/}}

{{/* The chart's name, or nameOverride. */}}
{{- define "tencent-chat-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The name of the release's objects: fullnameOverride, else the release name when it already contains
the chart's name, else "<release>-<name>".
*/}}
{{- define "tencent-chat-exporter.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := include "tencent-chat-exporter.name" . }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The labels that select the release's Pods; never change them in an upgrade (selectors are immutable). */}}
{{- define "tencent-chat-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tencent-chat-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The labels of every object. */}}
{{- define "tencent-chat-exporter.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "tencent-chat-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tencent-chat-exporter
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* repository:tag, or repository@digest when a digest is given. */}}
{{- define "tencent-chat-exporter.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{- define "tencent-chat-exporter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "tencent-chat-exporter.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret that holds the callback token, or "" when callbacks are not authenticated. */}}
{{- define "tencent-chat-exporter.tokenSecretName" -}}
{{- if .Values.token.existingSecret }}
{{- .Values.token.existingSecret }}
{{- else if .Values.token.value }}
{{- printf "%s-token" (include "tencent-chat-exporter.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* The callback path as Chat calls it, with the host of the Ingress when there is one. */}}
{{- define "tencent-chat-exporter.callbackUrl" -}}
{{- $scheme := ternary "https" "http" .Values.ingress.tls.enabled }}
{{- printf "%s://%s%s" $scheme .Values.ingress.host .Values.config.callbackPath }}
{{- end }}

{{/* Whether the chart writes a web configuration (WEB_CONFIG_FILE) for the metrics listener. */}}
{{- define "tencent-chat-exporter.webConfigEnabled" -}}
{{- if or .Values.webConfig.tls.enabled .Values.webConfig.basicAuth.enabled }}true{{ end }}
{{- end }}

{{/*
The exporter-toolkit web configuration: TLS with the mounted certificate, bcrypt basic auth. Paths are
relative to the file (mounted in /etc/tencent-chat-exporter/web), as in exporter-toolkit: the
certificate is where deployment.yaml mounts webConfig.tls.existingSecret, /etc/tencent-chat-exporter/tls.
*/}}
{{- define "tencent-chat-exporter.webConfigFile" -}}
{{- if .Values.webConfig.tls.enabled }}
tls_server_config:
  cert_file: ../tls/tls.crt
  key_file: ../tls/tls.key
  min_version: {{ .Values.webConfig.tls.minVersion }}
{{- end }}
{{- if .Values.webConfig.basicAuth.enabled }}
basic_auth_users:
  {{- range $user, $hash := .Values.webConfig.basicAuth.users }}
  {{ $user | quote }}: {{ $hash | quote }}
  {{- end }}
{{- end }}
{{- end }}

{{/* scheme, tlsConfig and basicAuth of a monitor's endpoint, for the metrics port as webConfig sets it. */}}
{{- define "tencent-chat-exporter.scrapeSecurity" -}}
{{- if .Values.webConfig.tls.enabled }}
scheme: https
tlsConfig:
  ca:
    secret:
      name: {{ .Values.webConfig.tls.existingSecret }}
      key: {{ .Values.webConfig.tls.caKey }}
  serverName: {{ .Values.webConfig.tls.serverName | default (printf "%s-metrics.%s.svc" (include "tencent-chat-exporter.fullname" .) .Release.Namespace) }}
{{- else }}
scheme: http
{{- end }}
{{- if .Values.webConfig.basicAuth.enabled }}
basicAuth:
  username:
    name: {{ .Values.webConfig.basicAuth.scrapeSecret }}
    key: username
  password:
    name: {{ .Values.webConfig.basicAuth.scrapeSecret }}
    key: password
{{- end }}
{{- end }}

{{/* The REST meter's Service, and the base URL the app's Chat REST client must use. */}}
{{- define "tencent-chat-exporter.restMeterName" -}}
{{- printf "%s-rest-meter" (include "tencent-chat-exporter.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "tencent-chat-exporter.restMeterUrl" -}}
{{- printf "http://%s.%s.svc:%d" (include "tencent-chat-exporter.restMeterName" .) .Release.Namespace (int64 .Values.egress.port) }}
{{- end }}

{{/* The ConfigMap that holds egress.limits (API_LIMITS_FILE). */}}
{{- define "tencent-chat-exporter.apiLimitsName" -}}
{{- printf "%s-api-limits" (include "tencent-chat-exporter.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The TCP port of an http(s) URL: its explicit port, else the scheme's (443 for https, 80 for http). An
IPv6 host ("[::1]") without a port has colons but no port.
*/}}
{{- define "tencent-chat-exporter.urlPort" -}}
{{- $url := urlParse . }}
{{- $host := $url.host }}
{{- if and (contains ":" $host) (not (hasSuffix "]" $host)) }}
{{- last (splitList ":" $host) }}
{{- else }}
{{- ternary "443" "80" (eq $url.scheme "https") }}
{{- end }}
{{- end }}

{{/*
The job label the bundled rules and dashboards select: every monitor relabels its targets to it, since
a ServiceMonitor's job would otherwise be the Service's name and a PodMonitor's "<namespace>/<name>".
*/}}
{{- define "tencent-chat-exporter.job" -}}
tencent-chat-exporter
{{- end }}

{{/*
Settings that cannot be expressed in values.schema.json because they relate two values; a wrong
combination stops the rendering with a message naming the values.
*/}}
{{- define "tencent-chat-exporter.validate" -}}
{{- if and .Values.token.existingSecret .Values.token.value }}
{{- fail "token.existingSecret and token.value are both set: set only one of them" }}
{{- end }}
{{- if and .Values.serviceMonitor.enabled .Values.podMonitor.enabled }}
{{- fail "serviceMonitor.enabled and podMonitor.enabled are both true: enable one, or every Pod is scraped twice" }}
{{- end }}
{{- if and .Values.ingress.enabled (not .Values.ingress.host) }}
{{- fail "ingress.host is required with ingress.enabled: the host name of the callback URL" }}
{{- end }}
{{- if eq (int .Values.ports.callback) (int .Values.ports.metrics) }}
{{- fail "ports.callback and ports.metrics must differ: /metrics is served only on its own port" }}
{{- end }}
{{- if le (int .Values.terminationGracePeriodSeconds) (int .Values.config.shutdownTimeoutSeconds) }}
{{- fail "terminationGracePeriodSeconds must be greater than config.shutdownTimeoutSeconds, or the kubelet kills callbacks in flight" }}
{{- end }}
{{- if and .Values.webConfig.tls.enabled (not .Values.webConfig.tls.existingSecret) }}
{{- fail "webConfig.tls.existingSecret is required with webConfig.tls.enabled: the kubernetes.io/tls Secret with the metrics port's certificate" }}
{{- end }}
{{- if and .Values.webConfig.basicAuth.enabled (not .Values.webConfig.basicAuth.users) }}
{{- fail "webConfig.basicAuth.users is required with webConfig.basicAuth.enabled: user names and their bcrypt hashes" }}
{{- end }}
{{- if and .Values.webConfig.basicAuth.enabled (or .Values.serviceMonitor.enabled .Values.podMonitor.enabled) (not .Values.webConfig.basicAuth.scrapeSecret) }}
{{- fail "webConfig.basicAuth.scrapeSecret is required with webConfig.basicAuth.enabled and a monitor: the Secret with the username and password Prometheus scrapes with" }}
{{- end }}
{{- if and .Values.egress.enabled (or (eq (int .Values.egress.port) (int .Values.ports.callback)) (eq (int .Values.egress.port) (int .Values.ports.metrics))) }}
{{- fail "egress.port must differ from ports.callback and ports.metrics: the REST meter listens on its own port" }}
{{- end }}
{{- $reserved := list "PORT" "METRICS_PORT" "HOST" "CALLBACK_PATH" "SDKAPPIDS" "ALERT_TTL_SECONDS" "MAX_SERIES" "LOG_LEVEL" "SHUTDOWN_TIMEOUT_SECONDS" "CALLBACK_TOKEN" "CALLBACK_TOKEN_FILE" "UPSTREAM_URL" "UPSTREAM_TIMEOUT_MS" "UPSTREAM_FAILURE_POLICY" "UPSTREAM_FORWARD_ALERTS" "WEB_CONFIG_FILE" "EGRESS_PORT" "EGRESS_HOST" "CHAT_REST_URL" "CHAT_REST_CA_FILE" "API_LIMITS_FILE" }}
{{- range .Values.config.extraEnv }}
{{- if has .name $reserved }}
{{- fail (printf "config.extraEnv sets %s, which the chart sets from its own values: use those instead" .name) }}
{{- end }}
{{- end }}
{{- end }}
