/**
 * Helpers of the report unit tests: events stamped at a fixed origin (T0 + ms), one builder per event type with the
 * defaults of a plain one-stream run, and the fold of a list of events into a RunResult.
 */
import assert from 'node:assert/strict';
import type { RunEventInput } from '../../../src/events/metrics-bus.js';
import type {
  LogMatchKind,
  RunEvent,
  RunMeta,
  RunOutcome,
  RunPhase,
  StreamPlan,
  TargetInfo,
} from '../../../src/events/schema.js';
import { ResultBuilder, type RunResult } from '../../../src/report/result.js';

/** Epoch ms of every test run's t = 0 (a fixed instant, so nothing depends on the wall clock). */
export const T0 = 1_700_000_000_000;
export const MiB = 1024 * 1024;

/** The event stamped T0 + ms. */
export const at = (ms: number, event: RunEventInput): RunEvent => ({ ...event, t: T0 + ms }) as RunEvent;

export const TARGET: TargetInfo = {
  nodeName: 'node-a',
  operationsUrl: 'http://127.0.0.1:9925',
  replicationUrl: 'ws://127.0.0.1:9933',
  embedded: false,
  local: true,
  pid: 4242,
};

export const STREAM: StreamPlan = { stream: 'node-a/data', member: 'node-a', database: 'data' };

export function runMeta(overrides: Partial<RunMeta> = {}): RunMeta {
  return {
    command: 'synth',
    toolVersion: '0.1.0-test',
    toolNodeName: 'harper-replay-test',
    via: 'peer',
    database: 'data',
    table: 'synthetic',
    workload: { frames: 4, recordsPerFrame: 10, recordSize: 100, blobSize: 0, seed: 7 },
    thresholds: [],
    pauseThresholdMs: 50,
    blockedAfterMs: 500,
    ...overrides,
  };
}

/** One builder per event type; `ms` is the time after T0, every other time argument too. */
export const ev = {
  meta: (ms: number, overrides: Partial<RunMeta> = {}) =>
    at(ms, { type: 'run-meta', meta: runMeta(overrides) }),
  start: (
    ms: number,
    options: { frames?: number; records?: number; target?: Partial<TargetInfo>; streams?: StreamPlan[] } = {},
  ) =>
    at(ms, {
      type: 'run-start',
      frames: options.frames ?? 4,
      records: options.records ?? 40,
      target: { ...TARGET, ...options.target },
      streams: options.streams ?? [STREAM],
    }),
  phase: (ms: number, phase: RunPhase) => at(ms, { type: 'phase', phase }),
  streaming: (ms: number, socketId = 1, stream = STREAM.stream, remoteNodeName = TARGET.nodeName) =>
    at(ms, {
      type: 'connection',
      socketId,
      event: 'streaming',
      remoteNodeName,
      database: 'data',
      startTime: 0,
      stream,
    }),
  connection: (
    ms: number,
    socketId: number,
    event: 'named' | 'subscribed' | 'ignored' | 'closed',
    extra: { remoteNodeName?: string; database?: string; code?: number; reason?: string } = {},
  ) => at(ms, { type: 'connection', socketId, event, ...extra }),
  sent: (
    ms: number,
    index: number,
    options: {
      records?: number;
      bytes?: number;
      blobs?: number;
      blobBytes?: number;
      resent?: boolean;
      lateMs?: number;
      socketId?: number;
      stream?: string;
    } = {},
  ) =>
    at(ms, {
      type: 'frame-sent',
      socketId: options.socketId ?? 1,
      index,
      bytes: options.bytes ?? 1000,
      records: options.records ?? 10,
      blobs: options.blobs ?? 0,
      blobBytes: options.blobBytes ?? 0,
      resent: options.resent ?? false,
      ...(options.lateMs === undefined ? {} : { lateMs: options.lateMs }),
      stream: options.stream ?? STREAM.stream,
    }),
  ack: (ms: number, sequenceId: number | null, socketId = 1) =>
    at(ms, { type: 'ack', socketId, sequenceId, stream: STREAM.stream }),
  committed: (ms: number, index: number, latencyMs: number, records = 10, stream = STREAM.stream) =>
    at(ms, { type: 'frame-committed', index, records, latencyMs, stream }),
  proc: (ms: number, rss: number, hwm = rss) =>
    at(ms, { type: 'sample', sample: { kind: 'proc', rss, hwm } }),
  sysinfo: (
    ms: number,
    rss: number | null,
    threads: Array<{ threadId: number; heapUsed?: number; externalMemory?: number; arrayBuffers?: number }>,
    latencyMs = 5,
    member?: string,
  ) =>
    at(ms, {
      type: 'sample',
      ...(member === undefined ? {} : { member }),
      sample: { kind: 'sysinfo', requestedAt: T0 + ms - latencyMs, latencyMs, rss, heapUsed: null, threads },
    }),
  /** A probe asked at `requestedMs` and answered (or failed) `latencyMs` later; the event is stamped then. */
  probe: (requestedMs: number, latencyMs: number, ok = true) =>
    at(requestedMs + latencyMs, {
      type: 'sample',
      sample: { kind: 'probe', requestedAt: T0 + requestedMs, latencyMs, ok },
    }),
  tcp: (ms: number, socketId: number, queues: { tx?: number; rx?: number; buffered?: number }) =>
    at(ms, {
      type: 'sample',
      sample: {
        kind: 'tcp',
        socketId,
        toolTxQueue: queues.tx ?? 0,
        targetRxQueue: queues.rx ?? 0,
        toolBuffered: queues.buffered ?? 0,
      },
    }),
  drain: (ms: number, startedMs: number, durationMs: number, queuedBytes: number, socketId = 1) =>
    at(ms, { type: 'drain-wait', socketId, startedAt: T0 + startedMs, durationMs, queuedBytes }),
  log: (ms: number, kind: LogMatchKind, line: string, when?: string) =>
    at(ms, { type: 'log-match', kind, line, ...(when === undefined ? {} : { at: when }) }),
  resume: (ms: number, fromFrame: number, attempt = 1, socketId = 2) =>
    at(ms, { type: 'resume', socketId, startTime: T0 + ms - 1, fromFrame, attempt, stream: STREAM.stream }),
  verify: (ms: number, expectedRecords: number, targetRecords: number | null, stream = STREAM.stream) =>
    at(ms, {
      type: 'verify',
      expectedRecords,
      targetRecords,
      ok: targetRecords === null ? null : targetRecords === expectedRecords,
      stream,
    }),
  warning: (ms: number, message: string) => at(ms, { type: 'warning', message }),
  exited: (ms: number, pid = TARGET.pid ?? 1) => at(ms, { type: 'target-exited', pid }),
  end: (
    ms: number,
    outcome: RunOutcome = 'complete',
    exitCode = 0,
    extra: { error?: string; removedFromTarget?: boolean | null; targetStopped?: boolean } = {},
  ) =>
    at(ms, {
      type: 'run-end',
      outcome,
      exitCode,
      ...(extra.error === undefined ? {} : { error: extra.error }),
      cleanup: {
        removedFromTarget: extra.removedFromTarget === undefined ? true : extra.removedFromTarget,
        targetStopped: extra.targetStopped ?? false,
      },
    }),
};

/** The result of a run made of these events, in this order. */
export function fold(events: RunEvent[]): RunResult {
  const builder = new ResultBuilder();
  for (const event of events) builder.sink(event);
  return builder.build();
}

/**
 * A complete plain run: 4 frames of 10 records and 250 kB each, sent at 1000, 1250, 1500 and 2000 ms, committed at
 * 1100, 1400, 1700 and 2500 ms (latencies 100, 150, 200, 500 ms), 3 acks, verified, ended at 3000 ms.
 * `extra` events are merged in by time (stable: an extra at the same ms goes after the run's own).
 */
export function completeRun(
  extra: RunEvent[] = [],
  options: { meta?: Partial<RunMeta>; target?: Partial<TargetInfo> } = {},
): RunEvent[] {
  const run = [
    ev.meta(0, options.meta),
    ev.phase(5, 'preparing'),
    ev.start(100, { target: options.target ?? {} }),
    ev.phase(110, 'waiting-for-subscription'),
    ev.connection(200, 1, 'named', { remoteNodeName: TARGET.nodeName }),
    ev.connection(210, 1, 'subscribed', { remoteNodeName: TARGET.nodeName, database: 'data' }),
    ev.streaming(220),
    ev.phase(230, 'streaming'),
    ev.sent(1000, 0, { bytes: 250_000 }),
    ev.committed(1100, 0, 100),
    ev.ack(1100, 1),
    ev.sent(1250, 1, { bytes: 250_000 }),
    ev.committed(1400, 1, 150),
    ev.sent(1500, 2, { bytes: 250_000 }),
    ev.committed(1700, 2, 200),
    ev.ack(1700, 3),
    ev.sent(2000, 3, { bytes: 250_000 }),
    ev.phase(2010, 'waiting-for-acks'),
    ev.committed(2500, 3, 500),
    ev.ack(2500, 4),
    ev.phase(2600, 'settling'),
    ev.phase(2700, 'verifying'),
    ev.verify(2800, 40, 40),
    ev.phase(2900, 'cleaning-up'),
    ev.end(3000),
  ];
  return [...run, ...extra]
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.t - b.e.t || a.i - b.i)
    .map((x) => x.e);
}

/** HDR histograms keep 3 significant digits: a percentile is within 0.1 % of the recorded value. */
export function assertNear(actual: number | null | undefined, expected: number, message?: string): void {
  assert.ok(
    typeof actual === 'number' && Math.abs(actual - expected) <= Math.abs(expected) * 1e-3,
    `${message ?? 'value'}: expected ≈${expected}, got ${actual}`,
  );
}

/** Text from HTML-escaped text (the five entities the reports write). */
export const fromHtml = (text: string): string =>
  text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
