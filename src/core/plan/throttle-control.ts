/**
 * Keeps the replication rate at the throttle the user asked for. Kafka's replication quotas let
 * through less than the configured rate (with the leader and the follower throttle both at R, a steady
 * copy runs at about 0.8 R on Kafka 4.1: a fetch carries up to 1 MiB a partition, and each side skips
 * whole fetches once over quota). So the executor measures what arrives on the busiest receiving
 * broker while the same moves are in flight, learns the quota's efficiency (bytes received per byte
 * configured), and configures `target / efficiency`, kept within [MIN_FACTOR, MAX_FACTOR] x target.
 *
 * The efficiency is the ratio of sums over every measured interval, so the burstiness of fetches
 * (megabytes at a time) averages out instead of steering the rate up and down; nothing changes before
 * MIN_MEASURED_MS of measurement.
 */
export const MIN_FACTOR = 0.5
export const MAX_FACTOR = 1.5
export const MIN_MEASURED_MS = 5000

export interface ThrottleMeasurement {
  /** Bytes the busiest receiving broker got in the interval. */
  bytes: number
  /** The rate configured during the interval, bytes/s. */
  configured: number
  ms: number
}

export class ThrottleControl {
  readonly target: number
  #bytes = 0
  #allowed = 0
  #ms = 0

  constructor(target: number) {
    this.target = target
  }

  /** Records one interval; returns the rate to configure now. */
  record(m: ThrottleMeasurement, configured: number): number {
    if (m.ms <= 0 || m.configured <= 0) return configured
    this.#bytes += m.bytes
    this.#allowed += (m.configured * m.ms) / 1000
    this.#ms += m.ms
    if (this.#ms < MIN_MEASURED_MS || this.#bytes <= 0) return configured
    const efficiency = this.#bytes / this.#allowed
    return Math.round(Math.min(MAX_FACTOR * this.target, Math.max(MIN_FACTOR * this.target, this.target / efficiency)))
  }

  /** Bytes received per byte configured, so far (undefined before any measurement). */
  get efficiency(): number | undefined {
    return this.#allowed > 0 ? this.#bytes / this.#allowed : undefined
  }
}

/** The highest per-broker byte count received between two readings of what each broker holds. */
export function busiestReceived(from: ReadonlyMap<number, number>, to: ReadonlyMap<number, number>): number {
  let best = 0
  for (const [broker, bytes] of to) best = Math.max(best, bytes - (from.get(broker) ?? 0))
  return best
}
