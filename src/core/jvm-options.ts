/**
 * JVM options kafkaplane sets for every broker and controller itself, in both runtimes: the heap (from
 * spec.resources.heap or `--heap`) and the system properties its start script or process sets after the
 * user's options (the log config and the log dir), which would override a user's value without a word.
 * Every runtime refuses a user's option that sets one of them (the KafkaCluster's schema, `up --jvm-option`).
 */
export const HEAP_XX_OPTIONS = ['MaxHeapSize', 'InitialHeapSize', 'MinHeapSize', 'MaxRAM', 'MaxRAMPercentage', 'InitialRAMPercentage', 'MinRAMPercentage', 'MaxRAMFraction', 'InitialRAMFraction', 'MinRAMFraction'] as const
export const OWNED_SYSTEM_PROPERTIES = ['log4j2.configurationFile', 'kafka.logs.dir'] as const
