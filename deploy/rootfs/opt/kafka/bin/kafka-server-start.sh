#!/bin/sh
# kafkaplane image: starts a broker (or controller) with a server.properties, like Kafka's own script.
exec "$(dirname "$0")/kafka-run-class.sh" kafka.Kafka "$@"
