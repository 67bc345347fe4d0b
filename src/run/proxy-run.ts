/**
 * One proxy capture: listen, forward, record both directions per connection, stop on --duration / --until-idle /
 * Ctrl-C, finalize the file. Connections for the `system` database are forwarded but not recorded (user hashes,
 * node credentials); `authorization` fields of recorded operation frames are blanked.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { unpack } from 'msgpackr';
import { type CaptureHeader, Direction, RecordKind, redactUrl } from '../capture/format.js';
import { CaptureWriter } from '../capture/writer.js';
import { ExitCode, type ExitCodeValue } from '../common/errors.js';
import { TOOL_VERSION } from '../common/version.js';
import type { ListenCertificate } from '../net/listen.js';
import { INSECURE_WARNING, probeTls, TlsProbeError, type TlsSettings } from '../net/tls.js';
import { Command } from '../protocol/codes.js';
import { controlCode, decodeControlFrame, encodeControl, isControlFrame } from '../protocol/control-frame.js';
import { type ProxyDirection, ReplicationProxy } from '../session/proxy.js';
import { interruptible } from './interrupt.js';
import { waitForStop } from './stop-conditions.js';

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
  /** Replace an existing --out (checked with the flags before anything runs). */
  force?: boolean;
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

/** A proxy capture as the command describes it: everything but what the run provides (Ctrl-C, the log). */
export type ProxySetup = Omit<ProxyRunOptions, 'signal' | 'log'>;

/** `capture --proxy`: the file's folder made, status lines on stderr, Ctrl-C stopping the capture normally. */
export function captureThroughProxy(setup: ProxySetup): Promise<ProxyResult> {
  mkdirSync(dirname(setup.out), { recursive: true });
  const log = (message: string) => process.stderr.write(`${message}\n`);
  return interruptible((signal) => runProxyCapture({ ...setup, signal, log }));
}

export function runProxyCapture(options: ProxyRunOptions): Promise<ProxyResult> {
  return new ProxyCapture(options).run();
}

/** The state of one proxy capture; `run` is the whole of it, the rest are its steps. */
class ProxyCapture {
  private readonly log: (message: string) => void;
  private readonly startedAt = Date.now();
  private writer: CaptureWriter | undefined;
  private proxy: ReplicationProxy | undefined;
  private messages = 0;
  private sourceNodeName: string | undefined;
  private lastMessageAt = Date.now();
  private readonly databaseOf = new Map<number, string | null>();
  private readonly structures = new Map<string, { connection: number; tableId: number; tableName: string }>();
  private finished = false;
  private readonly warnings: string[] = [];
  private readonly tls: ProxyResult['tls'];

  constructor(private readonly options: ProxyRunOptions) {
    this.log = options.log ?? (() => {});
    this.tls = { used: options.upstream.startsWith('wss:') };
  }

  async run(): Promise<ProxyResult> {
    const { options } = this;
    let listen: string | null = null;
    let outcome: ProxyResult['outcome'] = 'complete';
    let exitCode: ExitCodeValue = ExitCode.OK;
    let error: string | undefined;
    let stopReason = 'unknown';
    try {
      listen = await this.start();
      // Idle only counts once something was recorded.
      stopReason = await waitForStop(this.options, () => ({
        startedAt: this.startedAt,
        ...(this.messages > 0 ? { lastMessageAt: this.lastMessageAt } : {}),
      }));
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
    this.finished = true;
    await this.proxy?.close();
    await this.writer?.close({
      endedAtMs: Date.now(),
      structures: [...this.structures.values()],
      reason: stopReason,
      ...(this.sourceNodeName ? { sourceNodeName: this.sourceNodeName } : {}),
    });
    return {
      outcome,
      exitCode,
      ...(error ? { error } : {}),
      file: this.writer ? options.out : null,
      listen,
      upstream: redactUrl(options.upstream),
      connections: this.proxy?.connections ?? 0,
      recordedConnections: [...this.databaseOf.values()].filter((db) => db !== 'system').length,
      messages: this.messages,
      stopReason,
      durationMs: Date.now() - this.startedAt,
      tls: this.tls,
      warnings: this.warnings,
    };
  }

  /** Verifies a wss upstream, opens the capture file and listens; resolves with the listening address. */
  private async start(): Promise<string> {
    const { options, tls } = this;
    if (tls.used) {
      if (options.upstreamTls?.insecure) {
        this.warnings.push(INSECURE_WARNING);
        this.log(`warning: ${INSECURE_WARNING}`);
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
      startedAtMs: this.startedAt,
      startedAt: new Date(this.startedAt).toISOString(),
      source: { url: redactUrl(options.upstream) },
      tls,
    };
    const writer = await CaptureWriter.create(options.out, header, {
      flushIntervalMs: options.flushIntervalMs,
      force: options.force ?? false,
    });
    this.writer = writer;
    this.proxy = new ReplicationProxy({
      listenHost: options.listenHost,
      listenPort: options.listenPort,
      upstream: options.upstream,
      upstreamTls: options.upstreamTls,
      listenTls: options.listenTls,
      onOpen: (id, info) => {
        if (this.finished) return;
        this.databaseOf.set(id, null);
        writer.event(RecordKind.OPEN, id, { role: 'proxy', ...info });
      },
      onMessage: (id, direction, data, opcode, at) => this.message(writer, id, direction, data, opcode, at),
      onClose: (id, side, code, reason) => {
        if (!this.finished)
          writer.event(RecordKind.CLOSE, id, {
            side,
            code,
            reason,
            database: this.databaseOf.get(id) ?? undefined,
          });
      },
      onError: (id, message) => this.log(`connection ${id}: ${message}`),
    });
    const listen = await this.proxy.listen();
    this.log(`proxy listening on ${listen} → ${redactUrl(options.upstream)}; recording into ${options.out}`);
    return listen;
  }

  /** One proxied message, recorded unless its connection is for the system database. */
  private message(
    writer: CaptureWriter,
    id: number,
    direction: ProxyDirection,
    data: Buffer,
    opcode: number,
    at: number,
  ): void {
    if (this.finished) return;
    this.lastMessageAt = at;
    // The receiver names the database in its first frame (NODE_NAME); system connections stay unrecorded.
    if (this.databaseOf.get(id) === null && direction === 'to-source' && isControlFrame(data)) {
      try {
        const frame = decodeControlFrame(data);
        if (frame.type === 'NODE_NAME') this.databaseOf.set(id, frame.database);
      } catch {}
    }
    // The source answers with its own NODE_NAME: the footer names it (the header went out before).
    if (
      this.sourceNodeName === undefined &&
      direction === 'from-source' &&
      controlCode(data) === Command.NODE_NAME
    ) {
      try {
        const frame = decodeControlFrame(data);
        if (frame.type === 'NODE_NAME') this.sourceNodeName = frame.nodeName;
      } catch {}
    }
    if (this.databaseOf.get(id) === 'system') return;
    this.messages++;
    if (controlCode(data) === Command.TABLE_FIXED_STRUCTURE) {
      try {
        const frame = decodeControlFrame(data);
        if (frame.type === 'TABLE_FIXED_STRUCTURE') {
          this.structures.set(`${id}:${frame.tableId}`, {
            connection: id,
            tableId: frame.tableId,
            tableName: frame.tableName,
          });
        }
      } catch {}
    }
    const dir = direction === 'from-source' ? Direction.FROM_SOURCE : Direction.TO_SOURCE;
    writer.message(dir, id, redactOperationFrame(data), opcode, (at - writer.startedAtMs) * 1000);
    if (writer.full) {
      this.proxy?.pauseAll();
      void writer.drained().then(() => this.proxy?.resumeAll());
    }
  }
}
