#!/bin/sh
# kafkaplane image: formats a node's storage (format --cluster-id ID --config FILE), like Kafka's own script.
exec "$(dirname "$0")/kafka-run-class.sh" kafka.tools.StorageTool "$@"
