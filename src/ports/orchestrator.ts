/**
 * What the roller, the executor and the self-healer need from whatever runs the brokers: the local
 * runtime (processes on this machine) or Kubernetes (pods of StatefulSets). Written once against this.
 */
export interface BrokerOrchestrator {
  /** The ids of every broker this orchestrator runs, running or not. */
  brokerIds(): number[]
  /** Failure-domain labels of a broker (`{cluster: 'k8s-1', zone: 'a'}`). */
  brokerLabels(id: number): Readonly<Record<string, string>>
  /** Graceful stop (SIGTERM: controlled shutdown moves leadership away first); resolves once stopped. */
  stopBroker(id: number): Promise<void>
  /** Hard stop (SIGKILL): a crash, for failure tests. Resolves once the process is gone. */
  killBroker(id: number): Promise<void>
  /** Starts a stopped broker; resolves once it is registered and unfenced again. */
  startBroker(id: number): Promise<void>
  /** stopBroker then startBroker. */
  restartBroker(id: number): Promise<void>
}
