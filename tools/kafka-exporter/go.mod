// Wrapper module that builds kafka_exporter (github.com/danielqsj/kafka_exporter) from the Go module
// proxy, for bench/exporter.ts (bench/fetch-kafka-exporter.sh). Not part of the TypeScript build.
// Its go.sum is left empty: bench/fetch-kafka-exporter.sh fills it in its build copy (the Go checksum
// database verifies every module).
module kafkaplane.local/tools/kafka-exporter

go 1.26.0

tool github.com/danielqsj/kafka_exporter

require github.com/danielqsj/kafka_exporter v1.9.0
