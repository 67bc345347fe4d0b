/**
 * One proxy capture: listen, forward, record both directions per connection, stop on --duration / --until-idle /
 * Ctrl-C, finalize the file. Connections for the `system` database are forwarded but not recorded (user hashes,
 * node credentials); `authorization` fields of recorded operation frames are blanked.
 */

import { unpack } from 'msgpackr';
import { type CaptureHeader, Direction, RecordKind, redactUrl } from '../capture/format.js';
import { CaptureWriter } from '../capture/writer.js';
import { ExitCode, type ExitCodeValue } from '../common/errors.js';
import { TOOL_VERSION } from '../common/version.js';
import type { ListenCertificate } from '../net/listen.js';
import { INSECURE_WARNING, probeTls, TlsProbeError, type TlsSettings } from '../net/tls.js';
import { Command } from '../protocol/codes.js';
import { decodeControlFrame, encodeControl, isControlFrame } from '../protocol/control-frame.js';
import { ReplicationProxy } from '../session/proxy.js';

export interface ProxyRunOptions {
  listenHost: string;
  listenPort: number;
  upstream: string;
  /** TLS settings for a wss:// upstream. */
  upstreamTls?: TlsSettings;
  /** Listen on wss with this certificate and key. */
  listenTls?: ListenCertificate;
  out: string;
  durationMs?: number;
  untilIdleMs?: number;
  flushIntervalMs: number;
  signal: AbortSignal;
  log?: (message: string) => void;
}

export interface ProxyResult {
  outcome: 'complete' | 'interrupted' | 'failed';
  exitCode: ExitCodeValue;
  error?: string;
  file: string | null;
  listen: string | null;
  upstream: string;
  connections: number;
  recordedConnections: number;
  messages: number;
  stopReason: string;
  durationMs: number;
  /** Whether the upstream is TLS, and its certificate's subject and SHA-256 fingerprint. */
  tls: { used: boolean; subject?: string; fingerprint256?: string };
  warnings: string[];
}

/** Keys whose values are credentials wherever they appear in an operation frame (add_node_back's authorization). */
const CREDENTIAL_KEY = /^(authorization|password)$/i;

/**
 * Operation frames carry credentials (add_node_back's authorization): blank every credential, at any depth and
 * however the frame encodes its command code, before the frame reaches the file. Other frames, and operation
 * frames without a credential, come back as the same buffer.
 */
export function redactOperationFrame(data: Buffer): Buffer {
  if (!isControlFrame(data)) return data;
  let elements: unknown;
  try {
    elements = unpack(data);
  } catch {
    return data;
  }
  if (!Array.isArray(elements)) return data;
  const [code, ...rest] = elements as [unknown, ...unknown[]];
  if (code !== Command.OPERATION_REQUEST && code !== Command.OPERATION_RESPONSE) return data;
  const redacted = redactCredentials(rest);
  return redacted === rest ? data : encodeControl(code, ...(redacted as unknown[]));
}

/** The value with every credential blanked; the same object when there was none. */
function redactCredentials(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(redactCredentials);
    return items.some((item, i) => item !== value[i]) ? items : value;
  }
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  let changed = false;
  const entries = Object.entries(value).map(([key, item]): [string, unknown] => {
    const next =
      CREDENTIAL_KEY.test(key) && item !== null && item !== undefined && item !== '[redacted]'
        ? '[redacted]'
        : redactCredentials(item);
    if (next !== item) changed = true;
    return [key, next];
  });
  return changed ? Object.fromEntries(entries) : value;
}

export async function runProxyCapture(options: ProxyRunOptions): Promise<ProxyResult> {
  const log = options.log ?? (() => {});
  const startedAt = Date.now();
  let writer: CaptureWriter | undefined;
  let proxy: ReplicationProxy | undefined;
  let listen: string | null = null;
  let messages = 0;
  let sourceNodeName: string | undefined;
  let lastMessageAt = Date.now();
  const databaseOf = new Map<number, string | null>();
  let outcome: ProxyResult['outcome'] = 'complete';
  let exitCode: ExitCodeValue = ExitCode.OK;
  let error: string | undefined;
  let stopReason = 'unknown';
  const structures = new Map<string, { connection: number; tableId: number; tableName: string }>();
  let finished = false;
  const warnings: string[] = [];
  const tls: ProxyResult['tls'] = { used: options.upstream.startsWith('wss:') };
  try {
    if (tls.used) {
      if (options.upstreamTls?.insecure) {
        warnings.push(INSECURE_WARNING);
        log(`warning: ${INSECURE_WARNING}`);
      }
      // Verify the upstream now, as every proxied connection will: a bad CA fails here, not per connection.
      const peer = await probeTls(options.upstream, options.upstreamTls);
      tls.subject = peer.subject;
      tls.fingerprint256 = peer.fingerprint256;
    }
    const header: CaptureHeader = {
      tool: 'harper-replay',
      toolVersion: TOOL_VERSION,
      formatVersion: 1,
      mode: 'proxy',
      startedAtMs: startedAt,
      startedAt: new Date(startedAt).toISOString(),
      source: { url: redactUrl(options.upstream) },
      tls,
    };
    writer = await CaptureWriter.create(options.out, header, { flushIntervalMs: options.flushIntervalMs });
    const w = writer;
    proxy = new ReplicationProxy({
      listenHost: options.listenHost,
      listenPort: options.listenPort,
      upstream: options.upstream,
      upstreamTls: options.upstreamTls,
      listenTls: options.listenTls,
      onOpen: (id, info) => {
        if (finished) return;
        databaseOf.set(id, null);
        w.event(RecordKind.OPEN, id, { role: 'proxy', ...info });
      },
      onMessage: (id, direction, data, opcode, at) => {
        if (finished) return;
        lastMessageAt = at;
        // The receiver names the database in its first frame (NODE_NAME); system connections stay unrecorded.
        if (databaseOf.get(id) === null && direction === 'to-source' && isControlFrame(data)) {
          try {
            const frame = decodeControlFrame(data);
            if (frame.type === 'NODE_NAME') databaseOf.set(id, frame.database);
          } catch {}
        }
        // The source answers with its own NODE_NAME: the footer names it (the header went out before).
        if (sourceNodeName === undefined && direction === 'from-source' && data[2] === Command.NODE_NAME) {
          try {
            const frame = decodeControlFrame(data);
            if (frame.type === 'NODE_NAME') sourceNodeName = frame.nodeName;
          } catch {}
        }
        if (databaseOf.get(id) === 'system') return;
        messages++;
        if (isControlFrame(data) && data[2] === Command.TABLE_FIXED_STRUCTURE) {
          try {
            const frame = decodeControlFrame(data);
            if (frame.type === 'TABLE_FIXED_STRUCTURE') {
              structures.set(`${id}:${frame.tableId}`, {
                connection: id,
                tableId: frame.tableId,
                tableName: frame.tableName,
              });
            }
          } catch {}
        }
        const dir = direction === 'from-source' ? Direction.FROM_SOURCE : Direction.TO_SOURCE;
        w.message(dir, id, redactOperationFrame(data), opcode, (at - w.startedAtMs) * 1000);
        if (w.full) {
          proxy?.pauseAll();
          void w.drained().then(() => proxy?.resumeAll());
        }
      },
      onClose: (id, side, code, reason) => {
        if (!finished)
          w.event(RecordKind.CLOSE, id, { side, code, reason, database: databaseOf.get(id) ?? undefined });
      },
      onError: (id, message) => log(`connection ${id}: ${message}`),
    });
    listen = await proxy.listen();
    log(`proxy listening on ${listen} → ${redactUrl(options.upstream)}; recording into ${options.out}`);
    for (;;) {
      if (options.signal.aborted) {
        stopReason = 'interrupted';
        // Ctrl-C is how a capture is normally stopped (as with tcpdump): the file is finalized, exit 0.
        break;
      }
      if (options.durationMs !== undefined && Date.now() - startedAt >= options.durationMs) {
        stopReason = 'duration';
        break;
      }
      if (
        options.untilIdleMs !== undefined &&
        messages > 0 &&
        Date.now() - lastMessageAt >= options.untilIdleMs
      ) {
        stopReason = 'idle';
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch (caught) {
    outcome = 'failed';
    exitCode =
      caught instanceof TlsProbeError
        ? caught.tls
          ? ExitCode.TLS_FAILED
          : ExitCode.UNREACHABLE
        : ExitCode.ERROR;
    error = (caught as Error).message;
    stopReason = 'error';
  }
  // Sockets torn down from here on are the proxy's own doing: not recorded.
  finished = true;
  await proxy?.close();
  await writer?.close({
    endedAtMs: Date.now(),
    structures: [...structures.values()],
    reason: stopReason,
    ...(sourceNodeName ? { sourceNodeName } : {}),
  });
  return {
    outcome,
    exitCode,
    ...(error ? { error } : {}),
    file: writer ? options.out : null,
    listen,
    upstream: redactUrl(options.upstream),
    connections: proxy?.connections ?? 0,
    recordedConnections: [...databaseOf.values()].filter((db) => db !== 'system').length,
    messages,
    stopReason,
    durationMs: Date.now() - startedAt,
    tls,
    warnings,
  };
}
