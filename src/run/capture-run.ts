/**
 * One subscriber capture, start to finish: resolve the source, subscribe, write every message to the capture
 * file, stop on the first of --duration / --frames / --until-idle / Ctrl-C / the source closing, and always
 * finalize the file (footer, flush, sync).
 */

import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type CaptureHeader, Direction, RecordKind, redactUrl } from '../capture/format.js';
import { CaptureWriter } from '../capture/writer.js';
import { ExitCode, type ExitCodeValue, HarperReplayError } from '../common/errors.js';
import { TOOL_VERSION } from '../common/version.js';
import { authorizationHeader, type Credentials } from '../harper/operations-client.js';
import { INSECURE_WARNING, type TlsSettings } from '../net/tls.js';
import { Command } from '../protocol/codes.js';
import { controlCode, decodeControlFrame } from '../protocol/control-frame.js';
import { CaptureProgressBar } from '../report/capture-progress.js';
import { type SubscribeOptions, Subscriber, type SubscriberEvent } from '../session/subscriber.js';
import { interruptible } from './interrupt.js';
import { waitForStop } from './stop-conditions.js';
import {
  caFromTargetError,
  deriveReplicationUrl,
  describeTrustedCas,
  fetchTargetCa,
  targetClient,
  targetError,
  withCas,
} from './target.js';

/** What the subscriber asks the source for (database, start, tables, acks) and what the run adds around it. */
export interface CaptureRunOptions
  extends Pick<SubscribeOptions, 'database' | 'since' | 'tables' | 'excludeTables' | 'ack'> {
  /** Operations API URL of the source (replication URL derived), or its ws:// / wss:// replication URL. */
  source: string;
  replicationUrl?: string;
  credentials?: Credentials;
  /** Bearer token instead of credentials. */
  token?: string;
  /** TLS settings for an https source and its wss replication port. */
  tls?: TlsSettings;
  /** Also trust the source's own CA (list_certificates over its operations API). */
  caFromTarget?: boolean;
  /** Other origin node names, or ['all'] for every peer in the source's cluster_status. */
  origins?: string[];
  out: string;
  durationMs?: number;
  maxFrames?: number;
  untilIdleMs?: number;
  flushIntervalMs: number;
  /** Replace an existing --out (checked with the flags before anything runs). */
  force?: boolean;
  signal: AbortSignal;
  onProgress?: (progress: CaptureProgress) => void;
  log?: (message: string) => void;
}

export interface CaptureProgress {
  frames: number;
  records: number;
  bytes: number;
  messages: number;
  elapsedMs: number;
}

export interface CaptureResult {
  outcome: 'complete' | 'interrupted' | 'failed';
  exitCode: ExitCodeValue;
  error?: string;
  file: string | null;
  source: { url: string; nodeName: string | null };
  database: string;
  since: number;
  stopReason: string;
  frames: number;
  records: number;
  bytes: number;
  messages: number;
  acksSent: number;
  durationMs: number;
  recordsPerSec: number | null;
  tables: string[];
  /** Whether the connection was TLS, and the source certificate's subject and SHA-256 fingerprint. */
  tls: { used: boolean; subject?: string; fingerprint256?: string };
  warnings: string[];
}

/** A capture as the command describes it: everything but what the run provides (Ctrl-C, the log, progress). */
export type CaptureSetup = Omit<CaptureRunOptions, 'signal' | 'log' | 'onProgress'>;

/**
 * `capture --source`: the file's folder made, a live line on stderr (or the status lines), Ctrl-C stopping the
 * capture normally (the file finalized, exit 0).
 */
export async function captureFromSource(
  setup: CaptureSetup,
  show: { progress: boolean },
): Promise<CaptureResult> {
  const log = (message: string) => process.stderr.write(`${message}\n`);
  if (setup.tls?.insecure) log(`warning: ${INSECURE_WARNING}`);
  mkdirSync(dirname(setup.out), { recursive: true });
  const bar = show.progress ? new CaptureProgressBar() : undefined;
  const result = await interruptible((signal) =>
    runCapture({ ...setup, signal, log: bar ? undefined : log, onProgress: (p) => bar?.update(p) }),
  );
  bar?.stop();
  return result;
}

export function runCapture(options: CaptureRunOptions): Promise<CaptureResult> {
  return new SubscriberCapture(options).run();
}

/** The state of one subscriber capture; `run` is the whole of it, the rest are its steps. */
class SubscriberCapture {
  private readonly log: (message: string) => void;
  private readonly startedAt = Date.now();
  private readonly progress: CaptureProgress = { frames: 0, records: 0, bytes: 0, messages: 0, elapsedMs: 0 };
  private acksSent = 0;
  private writer: CaptureWriter | undefined;
  private subscriber: Subscriber | undefined;
  private replicationUrl: string;
  private filterIgnored = false;
  private readonly pending: SubscriberEvent[] = [];
  private readonly structures = new Map<string, { connection: number; tableId: number; tableName: string }>();
  private lastMessageAt = Date.now();
  private readonly warnings: string[] = [];
  private finished = false;

  constructor(private readonly options: CaptureRunOptions) {
    this.log = options.log ?? (() => {});
    this.replicationUrl = options.replicationUrl ?? options.source;
  }

  async run(): Promise<CaptureResult> {
    const { options, progress } = this;
    let stopReason = 'unknown';
    let outcome: CaptureResult['outcome'] = 'complete';
    let exitCode: ExitCodeValue = ExitCode.OK;
    let error: string | undefined;
    try {
      const subscriber = await this.start();
      const closed: { value?: { code: number; reason: string } } = {};
      subscriber.closed.then((value) => {
        closed.value = value;
      });
      stopReason = await waitForStop(
        options,
        () => ({
          startedAt: this.startedAt,
          lastMessageAt: this.lastMessageAt,
          frames: progress.frames,
          ...(closed.value ? { closed: closed.value } : {}),
        }),
        () => {
          progress.elapsedMs = Date.now() - this.startedAt;
          options.onProgress?.(progress);
        },
      );
      // Ctrl-C is how a capture is normally stopped (as with tcpdump): the file is finalized, exit 0.
    } catch (caught) {
      outcome = 'failed';
      const mapped = targetError(caught);
      exitCode = mapped.exitCode;
      error = mapped.message;
      stopReason = 'error';
    }
    // The socket's close is recorded (it is part of the capture); nothing after the footer.
    await this.subscriber?.close();
    this.finished = true;
    await this.writer?.close({
      endedAtMs: Date.now(),
      structures: [...this.structures.values()],
      reason: stopReason,
    });
    progress.elapsedMs = Date.now() - this.startedAt;
    return {
      outcome,
      exitCode,
      ...(error ? { error } : {}),
      file: this.writer ? options.out : null,
      source: { url: redactUrl(this.replicationUrl), nodeName: this.subscriber?.sourceNodeName ?? null },
      database: options.database,
      since: options.since,
      stopReason,
      frames: progress.frames,
      records: progress.records,
      bytes: progress.bytes,
      messages: progress.messages,
      acksSent: this.acksSent,
      durationMs: progress.elapsedMs,
      recordsPerSec:
        progress.elapsedMs > 0 ? Math.round((progress.records * 1000) / progress.elapsedMs) : null,
      tables: (this.subscriber?.sourceTables ?? []).map((t) => t.table),
      tls: tlsInfo(this.replicationUrl, this.subscriber),
      warnings: this.warnings,
    };
  }

  /** Resolves the source, subscribes, and opens the capture file once the source has answered. */
  private async start(): Promise<Subscriber> {
    const { options, progress } = this;
    if (options.since === 0 && (options.tables?.length || options.excludeTables?.length)) {
      // harperdb 4.7.29 looks table filters up by table name in the copy loop where its filter expects a table
      // object: in a full copy an inclusion list selects nothing and an exclusion list excludes nothing.
      this.warn(
        'harperdb 4.7 ignores table filters in a full copy (--since 0); capturing every table of the database',
      );
      this.filterIgnored = true;
    }
    // The command prints this one itself (before a progress bar takes stderr over).
    if (options.tls?.insecure) this.warnings.push(INSECURE_WARNING);
    const { tls, origins } = await this.resolveSource();
    this.log(
      `subscribing to ${options.database} on ${redactUrl(this.replicationUrl)} (since ${options.since === 0 ? 'the beginning: full copy' : new Date(options.since).toISOString()})`,
    );
    const subscriber = new Subscriber(
      {
        url: this.replicationUrl,
        authorization: authorizationHeader({ credentials: options.credentials, token: options.token }),
        tls,
        toolNodeName: `harper-replay-capture-${randomBytes(3).toString('hex')}`,
        database: options.database,
        since: options.since,
        tables: this.filterIgnored ? undefined : options.tables,
        excludeTables: this.filterIgnored ? undefined : options.excludeTables,
        origins,
        ack: options.ack,
      },
      this.record,
      (txn) => {
        progress.frames++;
        progress.records += txn.records;
        progress.bytes += txn.bytes;
      },
    );
    this.subscriber = subscriber;
    await subscriber.start();
    this.writer = await CaptureWriter.create(options.out, this.header(subscriber, origins), {
      flushIntervalMs: options.flushIntervalMs,
      force: options.force ?? false,
    });
    for (const event of this.pending.splice(0)) this.record(event);
    this.log(`capturing from ${subscriber.sourceNodeName} into ${options.out}`);
    return subscriber;
  }

  /**
   * An operations API URL: the replication URL from its configuration, its own CA (--ca-from-target), the peers of
   * --relayed-from all. A ws:// / wss:// URL is the replication URL itself.
   */
  private async resolveSource(): Promise<{ tls: TlsSettings | undefined; origins: string[] | undefined }> {
    const { options } = this;
    let origins = options.origins;
    let tls = options.tls;
    if (!/^wss?:\/\//.test(options.source)) {
      const client = targetClient({
        url: options.source,
        credentials: options.credentials,
        token: options.token,
        tls: options.tls,
      });
      const config = await client
        .getConfiguration()
        .catch((error) =>
          Promise.reject(options.caFromTarget ? caFromTargetError(client.url, error) : error),
        );
      this.replicationUrl = options.replicationUrl ?? deriveReplicationUrl(options.source, config);
      if (options.caFromTarget) {
        const cas = await fetchTargetCa(client);
        for (const line of describeTrustedCas(client.url, cas)) this.log(line);
        tls = withCas(options.tls, cas);
      }
      if (origins?.includes('all')) {
        const status = await client.clusterStatus();
        origins = status.connections.map((c) => c.name);
      }
    } else if (origins?.includes('all')) {
      throw new HarperReplayError(
        '--relayed-from all needs the operations API URL as --source (to read cluster_status)',
        ExitCode.USAGE,
      );
    } else if (options.caFromTarget) {
      throw new HarperReplayError(
        '--ca-from-target needs the operations API URL as --source (to call list_certificates)',
        ExitCode.USAGE,
      );
    }
    return { tls, origins };
  }

  private header(subscriber: Subscriber, origins: string[] | undefined): CaptureHeader {
    const { options, filterIgnored } = this;
    return {
      tool: 'harper-replay',
      toolVersion: TOOL_VERSION,
      formatVersion: 1,
      mode: 'subscribe',
      startedAtMs: this.startedAt,
      startedAt: new Date(this.startedAt).toISOString(),
      source: { url: redactUrl(this.replicationUrl), nodeName: subscriber.sourceNodeName },
      database: options.database,
      subscription: {
        since: options.since,
        ...(options.tables?.length && !filterIgnored ? { tables: options.tables } : {}),
        ...(options.excludeTables?.length && !filterIgnored ? { excludeTables: options.excludeTables } : {}),
        ...(origins?.length ? { origins } : {}),
        acked: options.ack,
      },
      tables: subscriber.sourceTables.map((t) => ({
        table: t.table,
        attributes: (t.attributes ?? []).map((a) => ({ name: a.name })),
      })),
      tls: tlsInfo(this.replicationUrl, subscriber),
    };
  }

  private warn(message: string): void {
    this.warnings.push(message);
    this.log(`warning: ${message}`);
  }

  /** Every subscriber event, into the file (held until the file is open, i.e. until the source answered). */
  private readonly record = (event: SubscriberEvent): void => {
    if (this.finished) return;
    const writer = this.writer;
    if (!writer) {
      this.pending.push(event);
      return;
    }
    const timeUs = event.type === 'message' ? (event.at - writer.startedAtMs) * 1000 : writer.now();
    if (event.type === 'open')
      writer.event(RecordKind.OPEN, 1, { role: 'subscriber', url: redactUrl(this.replicationUrl) });
    else if (event.type === 'close')
      writer.event(RecordKind.CLOSE, 1, { code: event.code, reason: event.reason });
    else {
      writer.message(
        event.direction === 'from-source' ? Direction.FROM_SOURCE : Direction.TO_SOURCE,
        1,
        event.data,
        event.opcode,
        timeUs,
      );
      if (event.direction === 'from-source') {
        this.progress.messages++;
        this.lastMessageAt = event.at;
        this.noteStructure(event.data);
      } else if (controlCode(event.data) === Command.COMMITTED_UPDATE) this.acksSent++;
      if (writer.full && this.subscriber) {
        this.subscriber.pause();
        void writer.drained().then(() => this.subscriber?.resume());
      }
    }
  };

  private noteStructure(data: Buffer): void {
    if (controlCode(data) !== Command.TABLE_FIXED_STRUCTURE) return;
    try {
      const frame = decodeControlFrame(data);
      if (frame.type === 'TABLE_FIXED_STRUCTURE') {
        this.structures.set(`${frame.tableId}`, {
          connection: 1,
          tableId: frame.tableId,
          tableName: frame.tableName,
        });
      }
    } catch {}
  }
}

/** What a capture records about TLS: that it was used, the source certificate's subject and fingerprint. */
function tlsInfo(url: string, subscriber: Subscriber | undefined): CaptureResult['tls'] {
  const peer = subscriber?.peer;
  return {
    used: url.startsWith('wss:'),
    ...(peer ? { subject: peer.subject, fingerprint256: peer.fingerprint256 } : {}),
  };
}
