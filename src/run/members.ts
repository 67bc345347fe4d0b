/**
 * --fan-out: the target's cluster members, from its cluster_status, each with an operations client when one can
 * be found — from a --member URL (matched by the node name it reports) or derived from the member's replication
 * URL (Harper serves replication on the operations API port when no replication port is set; else its default
 * operations port 9925 on the same host). A member without one is still loaded, but neither sampled nor verified.
 */

import { ExitCode, HarperReplayError } from '../common/errors.js';
import type { OperationsClient } from '../harper/operations-client.js';
import { type ResolvedTarget, type TargetSpec, targetClient, targetError } from './target.js';

export interface Member {
  nodeName: string;
  replicationUrl?: string;
  client?: OperationsClient;
}

const TOOL_NAME = /^harper-replay-/;
const DEFAULT_OPERATIONS_PORT = 9925;

export async function nodeNameOf(client: OperationsClient): Promise<string | undefined> {
  const status = await client.clusterStatus();
  if (status.node_name) return status.node_name;
  return (await client.getConfiguration()).replication?.hostname;
}

/** Operations API URLs to try for a member known only by its replication URL. */
export function operationsCandidates(replicationUrl: string): string[] {
  let url: URL;
  try {
    url = new URL(replicationUrl);
  } catch {
    return [];
  }
  const scheme = url.protocol === 'wss:' ? 'https' : 'http';
  const candidates = url.port ? [`${scheme}://${url.host}`] : [];
  // WHATWG URL keeps an IPv6 hostname in brackets, so it can be joined with a port as it is.
  candidates.push(`${scheme}://${url.hostname}:${DEFAULT_OPERATIONS_PORT}`);
  return [...new Set(candidates)];
}

export async function discoverMembers(
  target: ResolvedTarget,
  memberUrls: string[],
  /** The target's spec: members are reached with the same credentials (or token) and TLS settings. */
  spec: TargetSpec,
): Promise<Member[]> {
  const status = await target.client.clusterStatus().catch((error) => {
    throw targetError(error);
  });
  const connections = status.connections.filter(
    (c) => c.name && c.name !== target.nodeName && !TOOL_NAME.test(c.name),
  );
  const names = new Set(connections.map((c) => c.name));
  const given = new Map<string, OperationsClient>();
  for (const url of memberUrls) {
    const client = targetClient({ ...spec, url });
    const name = await nodeNameOf(client).catch((error) => {
      throw targetError(error);
    });
    if (!name || !names.has(name)) {
      throw new HarperReplayError(
        `--member ${url} is ${name ?? 'a node without a replication name'}, not a member of ${target.nodeName}'s cluster (members: ${[...names].join(', ') || 'none'})`,
        ExitCode.BAD_INPUT,
      );
    }
    given.set(name, client);
  }
  const members: Member[] = [];
  for (const connection of connections) {
    const client =
      given.get(connection.name) ??
      (connection.url ? await derive(connection.url, connection.name, spec) : undefined);
    members.push({
      nodeName: connection.name,
      ...(connection.url ? { replicationUrl: connection.url } : {}),
      ...(client ? { client } : {}),
    });
  }
  return members;
}

async function derive(
  replicationUrl: string,
  nodeName: string,
  spec: TargetSpec,
): Promise<OperationsClient | undefined> {
  for (const url of operationsCandidates(replicationUrl)) {
    const client = targetClient({ ...spec, url }, 1_500);
    const name = await nodeNameOf(client).catch(() => undefined);
    if (name === nodeName) return targetClient({ ...spec, url });
  }
  return undefined;
}
