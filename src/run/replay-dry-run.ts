/**
 * Before a replay: the capture opened and indexed (a missing or broken file is said in one line), and --dry-run —
 * what would be sent and how long it would take, sending nothing.
 */

import { ExitCode, HarperReplayError, inputFileError } from '../common/errors.js';
import { formatBytes, formatCount, formatMs } from '../common/units.js';
import type { ReplaySource } from '../workload/replay-source.js';
import { openReplay, oversizedFrameWarning, type ReplayRunOptions } from './replay-run.js';

export interface DryRunResult {
  dryRun: true;
  capture: string;
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
}

/**
 * Opens and indexes the capture; rejects with a HarperReplayError: no such file, a directory, not a capture (6), or a
 * --from-frame past its end (usage).
 */
export async function openReplaySource(
  file: string,
  replay: ReplayRunOptions['replay'],
): Promise<ReplaySource> {
  let source: ReplaySource;
  try {
    source = await openReplay(file, replay);
  } catch (error) {
    throw inputFileError(error, file);
  }
  if (source.framesPerLoop <= 0) {
    await source.close();
    throw new HarperReplayError(
      `--from-frame ${replay.fromFrame}: the capture has ${source.framesPerLoop + replay.fromFrame} transaction frames`,
      ExitCode.USAGE,
    );
  }
  return source;
}

/** What the replay would send (closes the source); warns when a frame is larger than the target accepts. */
export async function dryRun(
  file: string,
  source: ReplaySource,
  loops: number,
  via: 'peer' | 'push',
  warn: (message: string) => void,
): Promise<DryRunResult> {
  const result: DryRunResult = {
    dryRun: true,
    capture: file,
    connection: source.connection,
    frames: source.frameCount,
    records: source.totalRecords,
    bytes: source.bytes * loops,
    largestFrame: source.largestFrame,
    loops,
    scheduledDurationMs: source.scheduledDurationMs,
    tables: [...source.tables.values()].map((t) => t.name),
    truncated: source.truncated,
    originalAckLatencyMs: source.originalAcks,
  };
  await source.close();
  const warning = oversizedFrameWarning(result.largestFrame, via);
  if (warning) warn(warning);
  return result;
}

/** The dry run as one line. */
export function formatDryRun(result: DryRunResult, speedLabel: string): string {
  const duration =
    result.scheduledDurationMs === null
      ? 'as fast as the target reads'
      : formatMs(result.scheduledDurationMs);
  return `${result.capture}: would send ${formatCount(result.frames)} frames, ${formatCount(result.records)} records, ${formatBytes(result.bytes)} (largest frame ${formatBytes(result.largestFrame)}; connection ${result.connection}, tables ${result.tables.join(', ') || '–'}) — expected duration ${duration} at ${speedLabel}`;
}
