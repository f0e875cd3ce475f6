{{/*
The operator's objects are named as `kafkaplane install` names them (kafkaplane-operator), whatever the
release's name: the ClusterRole is cluster-wide, so one release per Kubernetes cluster.
*/}}
{{- define "kafkaplane-operator.name" -}}
kafkaplane-operator
{{- end }}

{{/* The Deployment's selector: as `kafkaplane install`'s, so a Deployment made by either can be taken over. */}}
{{- define "kafkaplane-operator.selectorLabels" -}}
app.kubernetes.io/name: kafkaplane
app.kubernetes.io/component: operator
{{- end }}

{{/* The labels of every object: `kafkaplane install`'s, managed by Helm, with the release and the chart. */}}
{{- define "kafkaplane-operator.labels" -}}
{{ include "kafkaplane-operator.selectorLabels" . }}
app.kubernetes.io/part-of: kafkaplane
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/instance: {{ .Release.Name }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}
