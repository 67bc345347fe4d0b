/**
 * One subscriber capture, start to finish: resolve the source, subscribe, write every message to the capture
 * file, stop on the first of --duration / --frames / --until-idle / Ctrl-C / the source closing, and always
 * finalize the file (footer, flush, sync).
 */

import { randomBytes } from 'node:crypto';
import { type CaptureHeader, Direction, RecordKind, redactUrl } from '../capture/format.js';
import { CaptureWriter } from '../capture/writer.js';
import { ExitCode, type ExitCodeValue, HarperReplayError } from '../common/errors.js';
import { TOOL_VERSION } from '../common/version.js';
import { authorizationHeader, type Credentials } from '../harper/operations-client.js';
import { INSECURE_WARNING, type TlsSettings } from '../net/tls.js';
import { decodeControlFrame, isControlFrame } from '../protocol/control-frame.js';
import { Subscriber, type SubscriberEvent } from '../session/subscriber.js';
import {
  caFromTargetError,
  deriveReplicationUrl,
  describeTrustedCas,
  fetchTargetCa,
  targetClient,
  targetError,
  withCas,
} from './target.js';

export interface CaptureRunOptions {
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
  database: string;
  since: number;
  tables?: string[];
  excludeTables?: string[];
  /** Other origin node names, or ['all'] for every peer in the source's cluster_status. */
  origins?: string[];
  ack: boolean;
  out: string;
  durationMs?: number;
  maxFrames?: number;
  untilIdleMs?: number;
  flushIntervalMs: number;
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

export async function runCapture(options: CaptureRunOptions): Promise<CaptureResult> {
  const log = options.log ?? (() => {});
  const startedAt = Date.now();
  const progress: CaptureProgress = { frames: 0, records: 0, bytes: 0, messages: 0, elapsedMs: 0 };
  let acksSent = 0;
  let writer: CaptureWriter | undefined;
  let subscriber: Subscriber | undefined;
  let stopReason = 'unknown';
  let outcome: CaptureResult['outcome'] = 'complete';
  let exitCode: ExitCodeValue = ExitCode.OK;
  let error: string | undefined;
  let replicationUrl = options.replicationUrl ?? options.source;
  let filterIgnored = false;
  const pending: SubscriberEvent[] = [];
  const structures = new Map<string, { connection: number; tableId: number; tableName: string }>();
  let lastMessageAt = Date.now();
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    log(`warning: ${message}`);
  };

  let finished = false;
  const record = (event: SubscriberEvent) => {
    if (finished) return;
    if (!writer) {
      pending.push(event);
      return;
    }
    const timeUs = event.type === 'message' ? (event.at - writer.startedAtMs) * 1000 : writer.now();
    if (event.type === 'open')
      writer.event(RecordKind.OPEN, 1, { role: 'subscriber', url: redactUrl(replicationUrl) });
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
        progress.messages++;
        lastMessageAt = event.at;
        noteStructure(event.data);
      } else if (event.data[1] === 0xcc && event.data[2] === 144) acksSent++;
      if (writer.full && subscriber) {
        subscriber.pause();
        void writer.drained().then(() => subscriber?.resume());
      }
    }
  };
  const noteStructure = (data: Buffer) => {
    if (!isControlFrame(data) || data[2] !== 132) return;
    try {
      const frame = decodeControlFrame(data);
      if (frame.type === 'TABLE_FIXED_STRUCTURE') {
        structures.set(`${frame.tableId}`, {
          connection: 1,
          tableId: frame.tableId,
          tableName: frame.tableName,
        });
      }
    } catch {}
  };

  try {
    let origins = options.origins;
    if (options.since === 0 && (options.tables?.length || options.excludeTables?.length)) {
      // harperdb 4.7.29 looks table filters up by table name in the copy loop where its filter expects a table
      // object: in a full copy an inclusion list selects nothing and an exclusion list excludes nothing.
      warn(
        'harperdb 4.7 ignores table filters in a full copy (--since 0); capturing every table of the database',
      );
      filterIgnored = true;
    }
    // The command prints this one itself (before a progress bar takes stderr over).
    if (options.tls?.insecure) warnings.push(INSECURE_WARNING);
    let replicationTls = options.tls;
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
      replicationUrl = options.replicationUrl ?? deriveReplicationUrl(options.source, config);
      if (options.caFromTarget) {
        const cas = await fetchTargetCa(client);
        for (const line of describeTrustedCas(client.url, cas)) log(line);
        replicationTls = withCas(options.tls, cas);
      }
      if (origins?.includes('all')) {
        const status = await client.clusterStatus();
        origins = status.connections.map((c) => c.name);
      }
    } else if (origins?.includes('all')) {
      throw new HarperReplayError(
        '--origins all needs the operations API URL as --source (to read cluster_status)',
        ExitCode.USAGE,
      );
    } else if (options.caFromTarget) {
      throw new HarperReplayError(
        '--ca-from-target needs the operations API URL as --source (to call list_certificates)',
        ExitCode.USAGE,
      );
    }
    log(
      `subscribing to ${options.database} on ${redactUrl(replicationUrl)} (since ${options.since === 0 ? 'the beginning: full copy' : new Date(options.since).toISOString()})`,
    );
    subscriber = new Subscriber(
      {
        url: replicationUrl,
        authorization: authorizationHeader({ credentials: options.credentials, token: options.token }),
        tls: replicationTls,
        toolNodeName: `harper-replay-capture-${randomBytes(3).toString('hex')}`,
        database: options.database,
        since: options.since,
        tables: filterIgnored ? undefined : options.tables,
        excludeTables: filterIgnored ? undefined : options.excludeTables,
        origins,
        ack: options.ack,
      },
      record,
      (txn) => {
        progress.frames++;
        progress.records += txn.records;
        progress.bytes += txn.bytes;
      },
    );
    await subscriber.start();
    const header: CaptureHeader = {
      tool: 'harper-replay',
      toolVersion: TOOL_VERSION,
      formatVersion: 1,
      mode: 'subscribe',
      startedAtMs: startedAt,
      startedAt: new Date(startedAt).toISOString(),
      source: { url: redactUrl(replicationUrl), nodeName: subscriber.sourceNodeName },
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
      tls: tlsInfo(replicationUrl, subscriber),
    };
    writer = await CaptureWriter.create(options.out, header, { flushIntervalMs: options.flushIntervalMs });
    for (const event of pending.splice(0)) record(event);
    log(`capturing from ${subscriber.sourceNodeName} into ${options.out}`);
    stopReason = await waitForStop(options, progress, subscriber, () => lastMessageAt, startedAt);
    // Ctrl-C is how a capture is normally stopped (as with tcpdump): the file is finalized, exit 0.
  } catch (caught) {
    outcome = 'failed';
    const mapped = targetError(caught);
    exitCode = mapped.exitCode;
    error = mapped.message;
    stopReason = 'error';
  }
  // The socket's close is recorded (it is part of the capture); nothing after the footer.
  await subscriber?.close();
  finished = true;
  if (writer) {
    await writer.close({ endedAtMs: Date.now(), structures: [...structures.values()], reason: stopReason });
  }
  progress.elapsedMs = Date.now() - startedAt;
  return {
    outcome,
    exitCode,
    ...(error ? { error } : {}),
    file: writer ? options.out : null,
    source: { url: redactUrl(replicationUrl), nodeName: subscriber?.sourceNodeName ?? null },
    database: options.database,
    since: options.since,
    stopReason,
    frames: progress.frames,
    records: progress.records,
    bytes: progress.bytes,
    messages: progress.messages,
    acksSent,
    durationMs: progress.elapsedMs,
    recordsPerSec: progress.elapsedMs > 0 ? Math.round((progress.records * 1000) / progress.elapsedMs) : null,
    tables: (subscriber?.sourceTables ?? []).map((t) => t.table),
    tls: tlsInfo(replicationUrl, subscriber),
    warnings,
  };
}

/** What a capture records about TLS: that it was used, the source certificate's subject and fingerprint. */
function tlsInfo(url: string, subscriber: Subscriber | undefined): CaptureResult['tls'] {
  const peer = subscriber?.peer;
  return {
    used: url.startsWith('wss:'),
    ...(peer ? { subject: peer.subject, fingerprint256: peer.fingerprint256 } : {}),
  };
}

async function waitForStop(
  options: CaptureRunOptions,
  progress: CaptureProgress,
  subscriber: Subscriber,
  lastMessageAt: () => number,
  startedAt: number,
): Promise<string> {
  const seen: { closed?: { code: number; reason: string } } = {};
  subscriber.closed.then((value) => {
    seen.closed = value;
  });
  for (;;) {
    progress.elapsedMs = Date.now() - startedAt;
    options.onProgress?.(progress);
    if (options.signal.aborted) return 'interrupted';
    const { closed } = seen;
    if (closed)
      return `source closed the connection (${closed.code}${closed.reason ? ` ${closed.reason}` : ''})`;
    if (options.durationMs !== undefined && progress.elapsedMs >= options.durationMs) return 'duration';
    if (options.maxFrames !== undefined && progress.frames >= options.maxFrames) return 'frames';
    if (options.untilIdleMs !== undefined && Date.now() - lastMessageAt() >= options.untilIdleMs)
      return 'idle';
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
