#!/bin/sh
# kafkaplane image (deploy/image.yaml): runs a Kafka main class from the Maven Central jars in
# /opt/kafka/libs, with the environment Kafka's own bin/ scripts read: KAFKA_HEAP_OPTS (default
# -Xmx512m), KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_OPTS, LOG_DIR (default /tmp/kafka-logs-dir),
# KAFKA_LOG4J_CONFIG (default the broker's config/log4j2.yaml).
set -eu
home="${KAFKA_HOME:-/opt/kafka}"
class="$1"
shift
# shellcheck disable=SC2086 # the *_OPTS variables hold several JVM options
exec java ${KAFKA_HEAP_OPTS:--Xmx512m} \
  ${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true} \
  ${KAFKA_OPTS:-} \
  "-Dlog4j2.configurationFile=${KAFKA_LOG4J_CONFIG:-$home/config/log4j2.yaml}" "-Dkafka.logs.dir=${LOG_DIR:-/tmp/kafka-logs-dir}" \
  -cp "$home/libs/*" "$class" "$@"
