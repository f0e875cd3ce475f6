#!/bin/sh
# kafkaplane image, at build time only (deploy/image.yaml `run`): makes $KAFKA_HOME/kafka.jsa, the class
# data sharing archive (AppCDS) of a broker's classes, as Kafka's own image does (KIP-975). A JVM that
# maps it loads those classes ready-made instead of parsing and verifying them: a broker's start costs
# about 0.6 of the CPU (bench/RESULTS.md, broker-start), which every restart of a roll pays.
# A throwaway single-node broker (combined roles, in a temporary folder, loopback ports) is started by
# kafka-run-class.sh, so with the classpath brokers start with, and -XX:ArchiveClassesAtExit; once it
# says it started it is stopped gracefully, and the JVM writes the archive as it exits.
set -eu
home="${KAFKA_HOME:-/opt/kafka}"
archive="$home/kafka.jsa"
port="${KAFKAPLANE_ARCHIVE_PORT:-19092}"
work="$(mktemp -d)"
pid=""
trap 'if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
cat > "$work/server.properties" <<PROPERTIES
node.id=0
process.roles=broker,controller
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$((port + 1))
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.quorum.voters=0@127.0.0.1:$((port + 1))
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$work/data
offsets.topic.replication.factor=1
PROPERTIES
rm -f "$archive"
# No hsperfdata file left in the image's /tmp.
LOG_DIR="$work/logs" KAFKA_OPTS="-XX:-UsePerfData" "$home/bin/kafka-storage.sh" format -t AAAAAAAAAAAAAAAAAAAAAA -c "$work/server.properties" > "$work/format.log" 2>&1 \
  || { cat "$work/format.log" >&2; exit 1; }
LOG_DIR="$work/logs" KAFKA_HEAP_OPTS="-Xmx384m" KAFKA_OPTS="-XX:-UsePerfData -XX:ArchiveClassesAtExit=$archive" \
  "$home/bin/kafka-server-start.sh" "$work/server.properties" > "$work/stdout.log" 2>&1 &
pid=$!
waited=0
until grep -q 'Kafka Server started' "$work/stdout.log"; do
  if ! kill -0 "$pid" 2>/dev/null || [ "$waited" -ge 600 ]; then
    echo "kafka-class-data-archive: the throwaway broker did not start (waited ${waited} s):" >&2
    tail -n 30 "$work/stdout.log" >&2
    exit 1
  fi
  sleep 1
  waited=$((waited + 1))
done
kill -TERM "$pid"
wait "$pid" || true
pid=""
if [ ! -s "$archive" ]; then
  echo "kafka-class-data-archive: the JVM wrote no archive at exit:" >&2
  tail -n 30 "$work/stdout.log" >&2
  exit 1
fi
chmod 644 "$archive"
echo "kafka-class-data-archive: $archive ($(wc -c < "$archive") bytes)"
