/**
 * The totals a run is judged by: the planned frames and records, or for an open-ended run (synth --duration
 * without a rate, nothing planned) the frames it sent, each counted once however often a reconnect resent it.
 */
import { formatCount, formatMs } from '../common/units.js';
import type { OpenEndedMeta, RunEvent, RunMeta } from '../events/schema.js';
import type { SentTotals } from './run-collector.js';

/** What the result says of an open-ended run: how long, that no count was planned, and the frames sent. */
export interface OpenEndedSummary extends OpenEndedMeta {
  plannedFrames: null;
  /** Distinct frames sent per stream (every stream sends the same frames). */
  sentFrames: number;
}

/** run-meta's workload (read off RunMeta structurally: an indexed access here reorders the generated schemas). */
type MetaWorkload = RunMeta extends { workload: infer W } ? W : never;

/** The result's workload: the run's as announced, with what its totals turned out to be. */
export type ResultWorkload = MetaWorkload & {
  totalRecords: number;
  toolNodeName: string;
  openEnded?: OpenEndedSummary;
};

export interface RunTotals {
  /** Frames over every stream: committed.allFrames compares with it. */
  frames: number;
  /** Records over every stream: what verification expects when it was skipped. */
  records: number;
  /** Frames per stream, as the workload describes them. */
  workload: ResultWorkload;
}

/**
 * `start`: run-start's totals (0 when it never came, or for an open-ended run) and how many streams the run had
 * (every one sends the whole workload).
 */
export function runTotals(
  meta: RunMeta,
  start: { frames: number; records: number; streams: number },
  sent: SentTotals,
): RunTotals {
  const { openEnded, ...workload } = meta.workload;
  const toolNodeName = meta.toolNodeName;
  if (!openEnded) {
    const records = start.records || workload.frames * workload.recordsPerFrame;
    return {
      frames: start.frames || workload.frames,
      records,
      workload: { ...workload, totalRecords: records, toolNodeName },
    };
  }
  const frames = sent.frames - sent.resentFrames;
  const records = frames * workload.recordsPerFrame;
  const perStream = Math.round(frames / Math.max(1, start.streams));
  return {
    frames,
    records,
    workload: {
      ...workload,
      frames: perStream,
      totalRecords: records,
      toolNodeName,
      openEnded: { ...openEnded, plannedFrames: null, sentFrames: perStream },
    },
  };
}

/** The summary's line: `open-ended, 6 s as fast as the target read: 42 frames sent (none planned)`. */
export function describeOpenEnded(openEnded: OpenEndedSummary): string {
  const cap = openEnded.maxFrames === undefined ? '' : ` or ${formatCount(openEnded.maxFrames)} frames`;
  return `open-ended, ${formatMs(openEnded.durationMs)}${cap} as fast as the target read: ${formatCount(openEnded.sentFrames)} frames sent (none planned)`;
}

/**
 * The progress line's clock for an open-ended run: from its first frame sent, the time gone and the time left
 * ("elapsed 3.20 s of 6.00 s, 2.80 s left"), then "time up" while the last acks come in. A sink of frame-sent.
 */
export class OpenEndedClock {
  private origin?: number;

  constructor(readonly durationMs: number) {}

  sink(event: RunEvent): void {
    if (event.type === 'frame-sent') this.origin ??= event.t;
  }

  /** Time gone since the first frame, at most the run's duration (0 before it). */
  elapsedMs(now: number): number {
    return this.origin === undefined ? 0 : Math.min(this.durationMs, Math.max(0, now - this.origin));
  }

  /** The pace part at `now`, or '' before the first frame. */
  describe(now: number): string {
    if (this.origin === undefined) return '';
    const elapsed = this.elapsedMs(now);
    if (elapsed >= this.durationMs) return `time up (${formatMs(this.durationMs)})`;
    return `elapsed ${formatMs(elapsed)} of ${formatMs(this.durationMs)}, ${formatMs(this.durationMs - elapsed)} left`;
  }
}
