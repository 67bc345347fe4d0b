/**
 * Before a replay: the capture opened and indexed (a missing or broken file is said in one line), and --dry-run —
 * what would be sent and how long it would take, sending nothing, per replayed connection.
 */

import { ExitCode, HarperReplayError, inputFileError } from '../common/errors.js';
import { formatBytes, formatCount, formatMs } from '../common/units.js';
import type { ReplayCapture, ReplaySource } from '../workload/replay-source.js';
import { leftOutWarnings, openReplay, oversizedFrameWarning, type ReplayRunOptions } from './replay-run.js';

/** What one replayed connection would send. */
export interface DryRunConnection {
  connection: number;
  database: string | null;
  frames: number;
  records: number;
  bytes: number;
  largestFrame: number;
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
  largestFrame: number;
  loops: number;
  scheduledDurationMs: number | null;
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
  return capture;
}

/** What the replay would send (closes the capture); warns when a frame is larger than the target accepts. */
export async function dryRun(
  file: string,
  capture: ReplayCapture,
  loops: number,
  via: 'peer' | 'push',
  warn: (message: string) => void,
): Promise<DryRunResult> {
  const first = capture.sources[0]!;
  const tablesOf = (source: ReplaySource) => [...source.tables.values()].map((t) => t.name);
  const result: DryRunResult = {
    dryRun: true,
    capture: file,
    connection: first.connection,
    frames: capture.frameCount,
    records: capture.totalRecords,
    bytes: capture.bytes * loops,
    largestFrame: capture.largestFrame,
    loops,
    scheduledDurationMs: capture.scheduledDurationMs,
    tables: [...new Set(capture.sources.flatMap(tablesOf))],
    truncated: capture.truncated,
    originalAckLatencyMs: first.originalAcks,
    connections: capture.sources.map((source) => ({
      connection: source.connection,
      database: source.database ?? null,
      frames: source.frameCount,
      records: source.totalRecords,
      bytes: source.bytes * loops,
      largestFrame: source.largestFrame,
      tables: tablesOf(source),
    })),
  };
  await capture.close();
  const warning = oversizedFrameWarning(result.largestFrame, via);
  if (warning) warn(warning);
  for (const message of leftOutWarnings(capture)) warn(message);
  return result;
}

/** The dry run as one line, then one line per connection when several are replayed. */
export function formatDryRun(result: DryRunResult, speedLabel: string): string {
  const duration =
    result.scheduledDurationMs === null
      ? 'as fast as the target reads'
      : formatMs(result.scheduledDurationMs);
  const several = result.connections.length > 1;
  const where = several
    ? `${result.connections.length} connections at once`
    : `connection ${result.connection}`;
  const head = `${result.capture}: would send ${formatCount(result.frames)} frames, ${formatCount(result.records)} records, ${formatBytes(result.bytes)} (largest frame ${formatBytes(result.largestFrame)}; ${where}, tables ${result.tables.join(', ') || '–'}) — expected duration ${duration} at ${speedLabel}`;
  if (!several) return head;
  const lines = result.connections.map(
    (c) =>
      `  connection ${c.connection} → ${c.database ?? '?'}: ${formatCount(c.frames)} frames, ${formatCount(c.records)} records, ${formatBytes(c.bytes)} (largest frame ${formatBytes(c.largestFrame)}; tables ${c.tables.join(', ') || '–'})`,
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
