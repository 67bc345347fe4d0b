/**
 * cluster_status, read as a stream of samples: each answer reduced to its replication links with a whitelist of
 * fields (the answer also carries each peer's `authorization`: never kept). Field names follow 4.7.29 (seen live:
 * database, connected, latency, nodes, lastReceivedRemoteTime/LocalTime, lastReceivedVersion, backPressurePercent,
 * lastReceivedStatus, and lastCommitConfirmed / sendingMessage once set) and Harper Pro 5.x (harper-pro d2a193f
 * replication/clusterStatus.ts:55-82 adds blobReplicationFailures, lastBlobFailure, lastLiveness,
 * lastConnectionError).
 */
import type { ClusterLink } from '../events/schema.js';

/** Every link field the tool keeps, in report order. */
export const CLUSTER_LINK_FIELDS = [
  'connected',
  'backPressurePercent',
  'lastReceivedStatus',
  'lastCommitConfirmed',
  'lastReceivedVersion',
  'lastReceivedRemoteTime',
  'lastReceivedLocalTime',
  'sendingMessage',
  'blobReplicationFailures',
  'lastBlobFailure',
  'lastLiveness',
  'lastConnectionError',
] as const;

export type ClusterLinkField = (typeof CLUSTER_LINK_FIELDS)[number];

const KINDS: Record<ClusterLinkField, 'boolean' | 'number' | 'string' | 'error'> = {
  connected: 'boolean',
  backPressurePercent: 'number',
  lastReceivedStatus: 'string',
  lastCommitConfirmed: 'string',
  lastReceivedVersion: 'number',
  lastReceivedRemoteTime: 'string',
  lastReceivedLocalTime: 'string',
  sendingMessage: 'string',
  blobReplicationFailures: 'number',
  lastBlobFailure: 'string',
  lastLiveness: 'string',
  lastConnectionError: 'error',
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Copies the whitelisted fields of one database socket that have the expected type. */
function linkOf(node: string, socket: Record<string, unknown>): ClusterLink | undefined {
  if (typeof socket.database !== 'string') return undefined;
  const link: Record<string, unknown> = { node, database: socket.database };
  for (const field of CLUSTER_LINK_FIELDS) {
    const value = socket[field];
    const kind = KINDS[field];
    if (kind === 'error') {
      if (isObject(value))
        link[field] = {
          ...(typeof value.code === 'number' ? { code: value.code } : {}),
          ...(typeof value.time === 'string' ? { time: value.time } : {}),
        };
    } else if (typeof value === kind && !(kind === 'number' && !Number.isFinite(value))) {
      link[field] = value;
    }
  }
  return link as unknown as ClusterLink;
}

/** The replication links of a cluster_status answer (`connections[].database_sockets[]`). */
export function parseClusterStatus(answer: unknown): ClusterLink[] {
  if (!isObject(answer) || !Array.isArray(answer.connections)) return [];
  const links: ClusterLink[] = [];
  for (const connection of answer.connections) {
    if (!isObject(connection) || !Array.isArray(connection.database_sockets)) continue;
    const node = typeof connection.name === 'string' ? connection.name : String(connection.url ?? '?');
    for (const socket of connection.database_sockets) {
      const link = isObject(socket) ? linkOf(node, socket) : undefined;
      if (link) links.push(link);
    }
  }
  return links;
}
