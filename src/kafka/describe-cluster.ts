import { createAPI, ResponseError, Writer, type Connection, type Reader } from '@platformatic/kafka'
import type { SnapshotBroker } from '../core/health/snapshot.ts'
import { kafkaError } from './kafka-error.ts'

/*
  DescribeCluster Request (Version: 2, Kafka 4.0+, KIP-1073) => include_cluster_authorized_operations endpoint_type include_fenced_brokers TAG_BUFFER
    include_cluster_authorized_operations => BOOLEAN
    endpoint_type => INT8            1 = brokers, 2 = controllers
    include_fenced_brokers => BOOLEAN
  The client ships v0 and v1 only; v2 is written here in its style (createAPI with its Writer/Reader).
*/
function createRequest(includeClusterAuthorizedOperations: boolean, endpointType: number, includeFencedBrokers: boolean): Writer {
  return Writer.create().appendBoolean(includeClusterAuthorizedOperations).appendInt8(endpointType).appendBoolean(includeFencedBrokers).appendTaggedFields()
}

export interface DescribeClusterResponseBroker {
  brokerId: number
  host: string
  port: number
  rack: string | null
  isFenced: boolean
}

export interface DescribeClusterResponse {
  throttleTimeMs: number
  errorCode: number
  errorMessage: string | null
  endpointType: number
  clusterId: string
  controllerId: number
  brokers: DescribeClusterResponseBroker[]
  clusterAuthorizedOperations: number
}

/*
  DescribeCluster Response (Version: 2) => throttle_time_ms error_code error_message endpoint_type cluster_id controller_id [brokers] cluster_authorized_operations TAG_BUFFER
    brokers => broker_id host port rack is_fenced TAG_BUFFER
*/
function parseResponse(_correlationId: number, apiKey: number, apiVersion: number, reader: Reader): DescribeClusterResponse {
  const response: DescribeClusterResponse = {
    throttleTimeMs: reader.readInt32(),
    errorCode: reader.readInt16(),
    errorMessage: reader.readNullableString(),
    endpointType: reader.readInt8(),
    clusterId: reader.readString(),
    controllerId: reader.readInt32(),
    brokers: reader.readArray((r) => ({
      brokerId: r.readInt32(),
      host: r.readString(),
      port: r.readInt32(),
      rack: r.readNullableString(),
      isFenced: r.readBoolean(),
    })),
    clusterAuthorizedOperations: reader.readInt32(),
  }
  reader.readTaggedFields()
  if (response.errorCode !== 0) {
    throw new ResponseError(apiKey, apiVersion, { '/': [response.errorCode, response.errorMessage] }, response)
  }
  return response
}

export const describeClusterV2 = createAPI<[includeClusterAuthorizedOperations: boolean, endpointType: number, includeFencedBrokers: boolean], DescribeClusterResponse>(
  60,
  2,
  createRequest,
  parseResponse,
)

const BROKER_ENDPOINTS = 1

export interface RegisteredBrokers {
  clusterId: string
  /** Registered and unfenced: they serve clients. */
  unfenced: SnapshotBroker[]
  /** Registered but fenced: starting and catching up on the metadata log, or shutting down. */
  fenced: SnapshotBroker[]
}

/** Every registered broker, fenced ones included (DescribeCluster v2: Kafka 4.0 or later). */
export async function describeRegisteredBrokers(connection: Connection): Promise<RegisteredBrokers> {
  let response: DescribeClusterResponse
  try {
    response = await describeClusterV2.async(connection, false, BROKER_ENDPOINTS, true)
  } catch (err) {
    throw kafkaError('DescribeCluster v2', err, { fix: 'fenced brokers are visible from Kafka 4.0 on; check the brokers run 4.0 or later and are reachable' })
  }
  const toBroker = (b: DescribeClusterResponseBroker): SnapshotBroker => ({ id: b.brokerId, host: b.host, port: b.port, rack: b.rack ?? undefined })
  const byId = (a: SnapshotBroker, b: SnapshotBroker) => a.id - b.id
  return {
    clusterId: response.clusterId,
    unfenced: response.brokers.filter((b) => !b.isFenced).map(toBroker).sort(byId),
    fenced: response.brokers.filter((b) => b.isFenced).map(toBroker).sort(byId),
  }
}
