#!/bin/sh
# kafkaplane image: formats a node's storage (format --cluster-id ID --config FILE), like Kafka's own script.
KAFKA_LOG4J_CONFIG="${KAFKA_LOG4J_CONFIG:-${KAFKA_HOME:-/opt/kafka}/config/tools-log4j2.yaml}" \
  exec "$(dirname "$0")/kafka-run-class.sh" kafka.tools.StorageTool "$@"
