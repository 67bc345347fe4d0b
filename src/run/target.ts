/**
 * The node under test: the embedded default (started here, stopped at the end) or a node the user names.
 * Resolves what a run needs to know about it: operations client, node name, replication URL, local pid.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { ExitCode, HarperReplayError } from '../common/errors.js';
import { EmbeddedNode, EmbeddedNodeError } from '../harper/embedded-node.js';
import {
  authorizationHeader,
  type Credentials,
  OperationsApiError,
  OperationsClient,
} from '../harper/operations-client.js';
import { RestartError } from '../harper/reconfigure.js';
import {
  ARMED_LINE,
  FAULT_COMPONENT,
  faultComponentFiles,
  type TargetFault,
} from '../harper/target-faults.js';
import type { TlsSettings } from '../net/tls.js';
import { DialError } from '../session/dial.js';

export interface TargetSpec {
  /** Operations API URL; undefined starts the embedded node. */
  url?: string;
  credentials?: Credentials;
  /** Bearer token instead of credentials. */
  token?: string;
  /** TLS settings for an https operations API and a wss replication port. */
  tls?: TlsSettings;
  /** Also trust the node's own CA (list_certificates) for replication. */
  caFromTarget?: boolean;
  /** Replication URL override (else derived from get_configuration). */
  replicationUrl?: string;
  /** faults: --target-fault, armed through a component (only ever on a node the tool starts). */
  embedded?: { config?: Record<string, string>; threads?: number; keep?: boolean; faults?: TargetFault[] };
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
  /** The Authorization header value the tool dials the replication port with ("Basic …" / "Bearer …"). */
  authorization?: string;
  /** TLS settings for the replication port (with the node's CA when --ca-from-target). */
  replicationTls?: TlsSettings;
  /** CAs read with --ca-from-target: what they are (for the log), never secret. */
  trustedCas?: TrustedCa[];
  /** logging.level (the target's own pause lines are debug-level in 4.7.29). */
  loggingLevel?: string;
  stop(): Promise<void>;
}

/** Maps client errors to exit codes with their one-line message. */
export function targetError(error: unknown): HarperReplayError {
  if (error instanceof HarperReplayError) return error;
  if (error instanceof DialError) {
    const code =
      error.kind === 'unauthorized'
        ? ExitCode.AUTH_FAILED
        : error.kind === 'refused'
          ? ExitCode.UNREACHABLE
          : error.kind === 'tls'
            ? ExitCode.TLS_FAILED
            : ExitCode.ERROR;
    return new HarperReplayError(error.message, code);
  }
  if (error instanceof OperationsApiError) {
    if (error.kind === 'unauthorized') return new HarperReplayError(error.message, ExitCode.AUTH_FAILED);
    if (error.kind === 'tls') return new HarperReplayError(error.message, ExitCode.TLS_FAILED);
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
    const { faults = [], ...embedded } = spec.embedded ?? {};
    try {
      node = await EmbeddedNode.start({
        ...embedded,
        ...(faults.length ? { components: { [FAULT_COMPONENT]: faultComponentFiles(faults) } } : {}),
      });
    } catch (error) {
      throw targetError(error);
    }
    if (faults.length) await checkArmed(node);
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
      authorization: authorizationHeader({ credentials: node.credentials }),
      stop: () => node.stop(),
    };
  }
  const client = targetClient({ ...spec, url: spec.url });
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
    const trusted = spec.caFromTarget ? await fetchTargetCa(client) : undefined;
    return {
      client,
      nodeName,
      operationsUrl: client.url,
      replicationUrl: spec.replicationUrl ?? deriveReplicationUrl(spec.url, config),
      credentials: spec.credentials,
      authorization: authorizationHeader(spec),
      ...(spec.tls || trusted ? { replicationTls: withCas(spec.tls, trusted) } : {}),
      ...(trusted ? { trustedCas: trusted } : {}),
      loggingLevel: (config.logging as { level?: string } | undefined)?.level,
      stop: async () => {},
    };
  } catch (error) {
    throw targetError(spec.caFromTarget ? caFromTargetError(client.url, error) : error);
  }
}

/** A target fault that did not arm is an error, not a silent pass: the component's line must be in hdb.log. */
async function checkArmed(node: EmbeddedNode, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = existsSync(node.logFile) ? readFileSync(node.logFile, 'utf8') : '';
    if (log.includes(ARMED_LINE)) return;
    if (Date.now() > deadline) {
      await node.stop();
      throw new HarperReplayError(
        `the target fault did not arm: no "${ARMED_LINE}" line in ${node.logFile} within ${timeoutMs / 1000} s`,
        ExitCode.ERROR,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The operations client of a node the user names, with its credentials or token and TLS settings. */
export function targetClient(spec: TargetSpec & { url: string }, timeoutMs?: number): OperationsClient {
  return new OperationsClient({
    url: spec.url,
    credentials: spec.token ? undefined : spec.credentials,
    token: spec.token,
    tls: spec.tls,
    ...(timeoutMs ? { timeoutMs } : {}),
  });
}

/** A CA read from the node: its PEM and what to tell the user about it. */
export interface TrustedCa {
  name: string;
  subject: string;
  fingerprint256: string;
  pem: string;
}

/** TLS settings that also trust these CAs (beside --ca). */
export function withCas(tls: TlsSettings | undefined, cas: TrustedCa[] | undefined): TlsSettings {
  if (!cas?.length) return { ...tls };
  return { ...tls, ca: [...(tls?.ca ?? []), ...cas.map((ca) => ca.pem)] };
}

/**
 * --ca-from-target: the node's CA certificates (list_certificates entries with `is_authority: true`), read over the
 * operations API with the tool's own TLS settings. Over https that connection must already be verified (by --ca or
 * the system CAs): credentials are never sent to a node the tool cannot authenticate just to learn whom to trust.
 */
export async function fetchTargetCa(client: OperationsClient): Promise<TrustedCa[]> {
  let entries: Awaited<ReturnType<OperationsClient['listCertificates']>>;
  try {
    entries = await client.listCertificates();
  } catch (error) {
    throw caFromTargetError(client.url, error);
  }
  const cas: TrustedCa[] = [];
  for (const entry of Array.isArray(entries) ? entries : []) {
    if (entry.is_authority !== true || typeof entry.certificate !== 'string') continue;
    try {
      const x509 = new X509Certificate(entry.certificate);
      cas.push({
        name: entry.name,
        subject: x509.subject.replace(/\n/g, ', '),
        fingerprint256: x509.fingerprint256,
        pem: entry.certificate,
      });
    } catch {}
  }
  if (!cas.length) {
    throw new HarperReplayError(
      `--ca-from-target: ${client.url} lists no CA certificate (no list_certificates entry with is_authority: true); pass --ca FILE`,
      ExitCode.TLS_FAILED,
    );
  }
  return cas;
}

/** A TLS failure of the operations API under --ca-from-target: say why the CA cannot be read that way. */
export function caFromTargetError(url: string, error: unknown): unknown {
  if (!(error instanceof OperationsApiError) || error.kind !== 'tls') return error;
  return new HarperReplayError(
    `--ca-from-target: cannot verify ${url} to read its CA (${error.message.replace(/^TLS: /, '').replace(/: pass --ca FILE.*$/, '')}); the CA is only read over a connection that is already trusted: pass --ca FILE for the operations API, or use its http:// port`,
    ExitCode.TLS_FAILED,
  );
}

/** One line per CA read with --ca-from-target (stderr), so the user can check the fingerprint. */
export function describeTrustedCas(url: string, cas: TrustedCa[]): string[] {
  const plain = url.startsWith('http:');
  return cas.map(
    (ca) =>
      `trusting CA "${ca.name}" of ${url} (list_certificates${plain ? ' over plain http' : ''}): ${ca.subject.split(', ')[0]}, SHA-256 ${ca.fingerprint256}`,
  );
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

/**
 * A create that another process loading the same node may have done first (the shards of a run prepare at once):
 * Harper's "already exists" answer means the thing is there, which is all the caller wanted. True when this call
 * made it.
 */
export async function createUnlessExists(create: () => Promise<unknown>): Promise<boolean> {
  try {
    await create();
    return true;
  } catch (error) {
    if (/already exists/.test((error as Error).message)) return false;
    throw error;
  }
}
