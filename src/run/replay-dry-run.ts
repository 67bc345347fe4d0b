/**
 * Before a replay: the capture opened and indexed (a missing or broken file is said in one line), and --dry-run —
 * what would be sent and how long it would take, sending nothing, per replayed connection. The dry run builds every
 * frame with the sender's code and schedules it with the sender's clock, so its numbers are what the run sends.
 */

import { ExitCode, HarperReplayError, inputFileError } from '../common/errors.js';
import { formatBytes, formatCount, formatMs } from '../common/units.js';
import type { BlobFaultKind } from '../events/schema.js';
import { scheduledOffsetMs, sentBytes } from '../session/stream-sender.js';
import type { ReplayCapture, ReplaySource } from '../workload/replay-source.js';
import {
  leftOutWarnings,
  openReplay,
  oversizedFrameWarning,
  type ReplayRunOptions,
  scheduledDurationMs,
} from './replay-run.js';

/** What one replayed connection would send: the sums of the frame-sent events its stream would emit. */
export interface DryRunConnection {
  connection: number;
  database: string | null;
  frames: number;
  /** Entries the rewritten frames carry (after --tables / --exclude-tables), as the result's sent.records. */
  records: number;
  /** Every byte the stream's frames put on the socket (controls, data frames, blob chunks), as sent.bytes. */
  bytes: number;
  /** Blob chunks and their bytes (part of `bytes`), as sent.blobs / sent.blobBytes. */
  blobs: number;
  blobBytes: number;
  largestFrame: number;
  /** When its last frame is due (ms after the run's clock starts), or null when flat out. */
  scheduledDurationMs: number | null;
  tables: string[];
}

export interface DryRunResult {
  dryRun: true;
  capture: string;
  /** The (first) replayed connection; `connections` has each. */
  connection: number;
  frames: number;
  records: number;
  bytes: number;
  blobs: number;
  blobBytes: number;
  /** Blobs --blob-faults would send wrong, by kind (as sent.blobFaults); absent when none. */
  blobFaults?: Partial<Record<BlobFaultKind, number>>;
  largestFrame: number;
  loops: number;
  /** The pace: the --speed label, or the --rate. */
  speed: string;
  rate: number | null;
  /** When the last frame of any stream is due: the shortest the real run can take. Null when flat out. */
  scheduledDurationMs: number | null;
  /** The clock the pace follows (--pace-by), and the span one pass takes by each (at --speed; 1x when flat out). */
  paceBy: 'arrival' | 'txn-time';
  paceSpansMs: { arrival: number; txnTime: number };
  tables: string[];
  truncated: boolean;
  originalAckLatencyMs: ReplaySource['originalAcks'];
  connections: DryRunConnection[];
}

/**
 * Opens and indexes the capture; rejects with a HarperReplayError: no such file, a directory, not a capture (6), a
 * --from-frame past its end (usage), a --from-frame for several connections at once (usage), or --blob-faults for
 * a capture without blobs (usage).
 */
export async function openReplaySource(
  file: string,
  replay: ReplayRunOptions['replay'],
): Promise<ReplayCapture> {
  let capture: ReplayCapture;
  try {
    capture = await openReplay(file, replay);
  } catch (error) {
    throw inputFileError(error, file);
  }
  const [first] = capture.sources;
  const unknown = unknownTables(capture, replay);
  if (unknown) {
    await capture.close();
    throw new HarperReplayError(unknown, ExitCode.USAGE);
  }
  if (capture.sources.length > 1 && replay.fromFrame > 0) {
    await capture.close();
    throw new HarperReplayError(
      `--from-frame counts the frames of one connection; this capture replays ${capture.sources.length} (${capture.sources.map((s) => s.connection).join(', ')}): pick one with --connection`,
      ExitCode.USAGE,
    );
  }
  if (replay.blobFaults?.length && !capture.sources.some((s) => s.blobCount > 0)) {
    await capture.close();
    throw new HarperReplayError(
      `--blob-faults: ${file} carries no blob chunks on the replayed connection(s) to fault`,
      ExitCode.USAGE,
    );
  }
  if (first && first.framesPerLoop <= 0) {
    await capture.close();
    throw new HarperReplayError(
      `--from-frame ${replay.fromFrame}: the capture has ${first.framesPerLoop + replay.fromFrame} transaction frames`,
      ExitCode.USAGE,
    );
  }
  try {
    // --duration: how many frames the time holds is worked out now; a capture that takes no time cannot loop.
    void capture.frameCount;
  } catch (error) {
    await capture.close();
    throw new HarperReplayError((error as Error).message, ExitCode.USAGE);
  }
  return capture;
}

/**
 * What the replay would send (closes the capture): every frame built as the sender builds it, summed as the run's
 * collector sums them, and scheduled as the sender schedules it. Warns as the real run does (a frame larger than
 * the target accepts, connections left out).
 */
export async function dryRun(
  options: ReplayRunOptions,
  capture: ReplayCapture,
  warn: (message: string) => void,
): Promise<DryRunResult> {
  const interval = options.rate ? 1000 / options.rate : 0;
  const faults: Partial<Record<BlobFaultKind, number>> = {};
  let connections: DryRunConnection[];
  try {
    // The versions and sequence ids are the run's; their size does not depend on the node name.
    capture.start('dry-run');
    connections = [];
    for (const source of capture.sources) connections.push(await plannedStream(source, interval, faults));
  } finally {
    await capture.close();
  }
  const first = capture.sources[0]!;
  const total = (key: 'frames' | 'records' | 'bytes' | 'blobs' | 'blobBytes') =>
    connections.reduce((sum, c) => sum + c[key], 0);
  const result: DryRunResult = {
    dryRun: true,
    capture: options.capture,
    connection: first.connection,
    frames: total('frames'),
    records: total('records'),
    bytes: total('bytes'),
    blobs: total('blobs'),
    blobBytes: total('blobBytes'),
    ...(Object.keys(faults).length ? { blobFaults: faults } : {}),
    largestFrame: capture.largestFrame,
    loops: Math.max(...capture.sources.map((s) => s.loopCount)),
    speed: options.replay.speedLabel,
    rate: options.rate ?? null,
    scheduledDurationMs: scheduledDurationMs(capture, options.rate),
    paceBy: options.replay.paceBy ?? 'arrival',
    paceSpansMs: { arrival: capture.paceSpans.arrivalMs, txnTime: capture.paceSpans.txnTimeMs },
    tables: [...new Set(connections.flatMap((c) => c.tables))],
    truncated: capture.truncated,
    originalAckLatencyMs: first.originalAcks,
    connections,
  };
  const warning = oversizedFrameWarning(result.largestFrame, options.via);
  if (warning) warn(warning);
  for (const message of leftOutWarnings(capture)) warn(message);
  return result;
}

/** One connection's stream as the sender would send it on a fresh target: from frame 0, on the run's clock. */
async function plannedStream(
  source: ReplaySource,
  interval: number,
  faults: Partial<Record<BlobFaultKind, number>>,
): Promise<DryRunConnection> {
  const planned = { frames: 0, records: 0, bytes: 0, blobs: 0, blobBytes: 0 };
  for (let index = 0; index < source.frameCount; index++) {
    const frame = await source.build(index);
    planned.frames++;
    planned.records += frame.records;
    planned.bytes += sentBytes(frame);
    planned.blobs += frame.blobs;
    planned.blobBytes += frame.blobBytes;
    for (const [kind, count] of Object.entries(frame.blobFaults ?? {}) as Array<[BlobFaultKind, number]>)
      faults[kind] = (faults[kind] ?? 0) + count;
    // Nothing keeps the frame: its buffer takes the next one (no fresh pages per frame).
    source.release(frame);
  }
  const last = source.frameCount - 1;
  return {
    connection: source.connection,
    database: source.database ?? null,
    ...planned,
    largestFrame: source.largestFrame,
    scheduledDurationMs: last < 0 ? null : (scheduledOffsetMs(source, last, 0, interval, 0) ?? null),
    tables: source.keptTables(),
  };
}

/** The dry run as one line, then one line per connection when several are replayed. */
export function formatDryRun(result: DryRunResult): string {
  const duration =
    result.scheduledDurationMs === null
      ? 'as fast as the target reads'
      : formatMs(result.scheduledDurationMs);
  const several = result.connections.length > 1;
  const where = several
    ? `${result.connections.length} connections at once`
    : `connection ${result.connection}`;
  const head = `${result.capture}: would send ${formatCount(result.frames)} frames, ${formatCount(result.records)} records, ${bytesText(result)} (largest frame ${formatBytes(result.largestFrame)}; ${where}, tables ${result.tables.join(', ') || '–'}) — expected duration ${duration} at ${result.speed}${paceText(result)}`;
  if (!several) return head;
  const lines = result.connections.map(
    (c) =>
      `  connection ${c.connection} → ${c.database ?? '?'}: ${formatCount(c.frames)} frames, ${formatCount(c.records)} records, ${bytesText(c)} (largest frame ${formatBytes(c.largestFrame)}; tables ${c.tables.join(', ') || '–'})`,
  );
  return [head, ...lines].join('\n');
}

/** A --tables / --exclude-tables name the replayed connections never carry (a typo would replay nothing, or all). */
function unknownTables(capture: ReplayCapture, replay: ReplayRunOptions['replay']): string | undefined {
  const known = new Set(capture.sources.flatMap((source) => [...source.tables.values()].map((t) => t.name)));
  for (const [flag, names] of [
    ['--tables', replay.tables],
    ['--exclude-tables', replay.excludeTables],
  ] as const) {
    const missing = (names ?? []).filter((name) => !known.has(name));
    if (missing.length)
      return `${flag} ${missing.join(',')}: not in the capture (its tables: ${[...known].join(', ') || 'none'})`;
  }
  return undefined;
}

/** ", paced by txn-time (a pass: 9.50 s by txn-time, 50 ms by arrival)" — only when the captured clock paces. */
function paceText(result: DryRunResult): string {
  if (result.scheduledDurationMs === null || result.rate !== null) return '';
  const { arrival, txnTime } = result.paceSpansMs;
  return `, paced by ${result.paceBy} (a pass: ${formatMs(txnTime)} by txn-time, ${formatMs(arrival)} by arrival)`;
}

/** The bytes, and the blob chunks among them. */
function bytesText(planned: Pick<DryRunConnection, 'bytes' | 'blobs' | 'blobBytes'>): string {
  const blobs = planned.blobs
    ? ` with ${formatCount(planned.blobs)} blob chunks of ${formatBytes(planned.blobBytes)}`
    : '';
  return `${formatBytes(planned.bytes)}${blobs}`;
}
