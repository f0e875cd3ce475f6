/**
 * Broker logging (Kafka 4 uses log4j2; jackson's YAML support is on its classpath): server.log in the
 * node's log dir, rolled at 20 MB with 3 kept, at INFO, and the noisy request logger at WARN.
 */
export const LOG4J2_YAML = `Configuration:
  name: kafkaplane-broker
  Appenders:
    RollingFile:
      name: server
      fileName: "\${sys:kafka.logs.dir}/server.log"
      filePattern: "\${sys:kafka.logs.dir}/server.log.%i"
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
      Policies:
        SizeBasedTriggeringPolicy:
          size: 20MB
      DefaultRolloverStrategy:
        max: 3
  Loggers:
    Logger:
      - name: kafka.request.logger
        level: WARN
        additivity: false
        AppenderRef:
          - ref: server
    Root:
      level: INFO
      AppenderRef:
        - ref: server
`
