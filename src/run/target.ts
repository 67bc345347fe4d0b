/**
 * The node under test: the embedded default (started here, stopped at the end) or a node the user names.
 * Resolves what a run needs to know about it: operations client, node name, replication URL, local pid.
 */
import { EmbeddedNode, EmbeddedNodeError } from '../target/embedded-node.js';
import { type Credentials, OperationsApiError, OperationsClient } from '../target/operations-client.js';
import { RestartError } from '../target/reconfigure.js';
import { ExitCode, HarperReplayError } from './errors.js';

export interface TargetSpec {
  /** Operations API URL; undefined starts the embedded node. */
  url?: string;
  credentials?: Credentials;
  /** Replication URL override (else derived from get_configuration). */
  replicationUrl?: string;
  embedded?: { config?: Record<string, string>; threads?: number; keep?: boolean };
}

export interface ResolvedTarget {
  embedded?: EmbeddedNode;
  client: OperationsClient;
  nodeName: string;
  operationsUrl: string;
  replicationUrl: string;
  /** Local process id when known (embedded): enables /proc sampling. */
  pid?: number;
  credentials?: Credentials;
  /** logging.level (the target's own pause lines are debug-level in 4.7.29). */
  loggingLevel?: string;
  stop(): Promise<void>;
}

/** Maps client errors to exit codes with their one-line message. */
export function targetError(error: unknown): HarperReplayError {
  if (error instanceof HarperReplayError) return error;
  if (error instanceof OperationsApiError) {
    if (error.kind === 'unauthorized') return new HarperReplayError(error.message, ExitCode.AUTH_FAILED);
    if (error.kind === 'refused' || error.kind === 'timeout' || error.kind === 'network') {
      return new HarperReplayError(error.message, ExitCode.UNREACHABLE);
    }
    return new HarperReplayError(error.message, ExitCode.ERROR);
  }
  if (error instanceof RestartError) return new HarperReplayError(error.message, ExitCode.UNREACHABLE);
  if (error instanceof EmbeddedNodeError) return new HarperReplayError(error.message, ExitCode.UNREACHABLE);
  return new HarperReplayError((error as Error)?.message ?? String(error), ExitCode.ERROR);
}

export async function resolveTarget(spec: TargetSpec): Promise<ResolvedTarget> {
  if (!spec.url) {
    let node: EmbeddedNode;
    try {
      node = await EmbeddedNode.start(spec.embedded ?? {});
    } catch (error) {
      throw targetError(error);
    }
    const config = await node
      .client()
      .getConfiguration()
      .catch(() => undefined);
    return {
      embedded: node,
      loggingLevel: (config?.logging as { level?: string } | undefined)?.level,
      client: node.client(),
      nodeName: node.nodeName,
      operationsUrl: node.operationsUrl,
      replicationUrl: spec.replicationUrl ?? node.replicationUrl,
      pid: node.pid,
      credentials: node.credentials,
      stop: () => node.stop(),
    };
  }
  const client = new OperationsClient({ url: spec.url, credentials: spec.credentials });
  try {
    await client.userInfo();
    const status = await client.clusterStatus();
    const config = await client.getConfiguration();
    const nodeName = status.node_name ?? config.replication?.hostname;
    if (!nodeName) {
      throw new HarperReplayError(
        `${spec.url} reports no replication node name (set replication.hostname on the target)`,
        ExitCode.ERROR,
      );
    }
    return {
      client,
      nodeName,
      operationsUrl: client.url,
      replicationUrl: spec.replicationUrl ?? deriveReplicationUrl(spec.url, config),
      credentials: spec.credentials,
      loggingLevel: (config.logging as { level?: string } | undefined)?.level,
      stop: async () => {},
    };
  } catch (error) {
    throw targetError(error);
  }
}

/**
 * Where the target's replication WebSocket listens: `replication.port` (ws), else `replication.securePort` (wss),
 * else the operations API port itself (Harper's fallback). A wildcard bind address means "the host we reached".
 */
export function deriveReplicationUrl(
  operationsUrl: string,
  config: {
    replication?: { port?: unknown; securePort?: unknown };
    operationsApi?: { network?: { port?: unknown } };
  },
): string {
  const ops = new URL(operationsUrl);
  const pick = (value: unknown, scheme: 'ws' | 'wss'): string | undefined => {
    if (value === null || value === undefined || value === '' || value === 'null') return undefined;
    const text = String(value);
    const match = /^(?:(.*):)?(\d+)$/.exec(text);
    if (!match) return undefined;
    const bind = match[1]?.replace(/^\[|\]$/g, '');
    const host =
      !bind || bind === '0.0.0.0' || bind === '::' ? ops.hostname : bind.includes(':') ? `[${bind}]` : bind;
    return `${scheme}://${host}:${match[2]}`;
  };
  return (
    pick(config.replication?.port, 'ws') ??
    pick(config.replication?.securePort, 'wss') ??
    `${ops.protocol === 'https:' ? 'wss' : 'ws'}://${ops.host}`
  );
}
