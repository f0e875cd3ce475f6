#!/bin/sh
# kafkaplane image (deploy/image.yaml): runs a Kafka main class from the Maven Central jars in
# /opt/kafka/libs, with the environment Kafka's own bin/ scripts read: KAFKA_HEAP_OPTS (default
# -Xmx512m), KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_OPTS, LOG_DIR (default /tmp/kafka-logs-dir),
# KAFKA_LOG4J_CONFIG (default the broker's config/log4j2.yaml). The jars go on the classpath one by
# one in the shell's (sorted) order, and $KAFKA_HOME/kafka.jsa, the class data archive the image's build
# made (kafka-class-data-archive.sh), is mapped when it is there: the JVM checks it against this
# classpath and its own build, and runs without it, saying why, when they differ.
set -eu
home="${KAFKA_HOME:-/opt/kafka}"
class="$1"
shift
classpath=""
for jar in "$home"/libs/*.jar; do classpath="${classpath:+$classpath:}$jar"; done
archive=""
if [ -s "$home/kafka.jsa" ]; then archive="-XX:SharedArchiveFile=$home/kafka.jsa"; fi
# shellcheck disable=SC2086 # the *_OPTS variables hold several JVM options
exec java ${KAFKA_HEAP_OPTS:--Xmx512m} $archive \
  ${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true} \
  ${KAFKA_OPTS:-} \
  "-Dlog4j2.configurationFile=${KAFKA_LOG4J_CONFIG:-$home/config/log4j2.yaml}" "-Dkafka.logs.dir=${LOG_DIR:-/tmp/kafka-logs-dir}" \
  -cp "$classpath" "$class" "$@"
