/**
 * How long a mix run's frames were held for the ack of the frame whose ids they rewrite (the `dependency-wait`
 * events): why a --mix run goes slower than pure inserts on 4.7.29, which drops a frame read before that commit.
 */
import { LatencyHistogram } from '../common/latency-histogram.js';
import { formatCount, formatMs } from '../common/units.js';
import type { RunEvent } from '../events/schema.js';

export interface DependencyWaitSummary {
  /** Frames held (summed over streams); a frame whose dependency was already committed is not. */
  frames: number;
  /** Time held, summed over frames and streams (streams wait side by side: this can exceed the run). */
  totalMs: number;
  maxMs: number;
  p99Ms: number;
  /** Empty frames sent to draw out a coalesced ack. */
  nudges: number;
  /** Of the held frames, those whose wait ended without the commit (timeout, closed socket, interrupt). */
  uncommitted: number;
  /** 'off' with --no-dependency-wait: no frame was held. */
  wait: 'on' | 'off';
  /**
   * With the wait off: frames sent while the frame whose ids they rewrite was not yet committed (summed over
   * streams) — the frames 4.7.29 may ack and drop. 0 with the wait on.
   */
  inFlight: number;
}

export class DependencyWaitAnalysis {
  private readonly waits = new LatencyHistogram();
  private frames = 0;
  private totalMs = 0;
  private maxMs = 0;
  private nudges = 0;
  private uncommitted = 0;
  private off = false;
  private inFlight = 0;

  sink(event: RunEvent): void {
    if (event.type === 'run-meta') this.off = event.meta.workload.operations?.dependencyWait === 'off';
    if (event.type === 'dependency-in-flight') this.inFlight++;
    if (event.type !== 'dependency-wait') return;
    this.frames++;
    this.totalMs += event.waitedMs;
    this.maxMs = Math.max(this.maxMs, event.waitedMs);
    this.nudges += event.nudges;
    if (!event.committed) this.uncommitted++;
    this.waits.recordMs(event.waitedMs);
  }

  /** Zeros when nothing was held (pure inserts, replays): the field is always there. */
  summary(): DependencyWaitSummary {
    const round = (ms: number) => Math.round(ms * 100) / 100;
    return {
      frames: this.frames,
      totalMs: round(this.totalMs),
      maxMs: round(this.maxMs),
      p99Ms: this.waits.summary().p99 ?? 0,
      nudges: this.nudges,
      uncommitted: this.uncommitted,
      wait: this.off ? 'off' : 'on',
      inFlight: this.inFlight,
    };
  }
}

/**
 * Why verification found fewer records than expected, when the run can say: with the wait off and frames sent
 * while their dependency was in flight, those are the frames 4.7.29 acks and drops. Undefined otherwise.
 */
export function likelyLossCause(
  waits: DependencyWaitSummary,
  verify: { expectedRecords: number; targetRecords: number | null },
): string | undefined {
  if (waits.wait !== 'off' || !waits.inFlight) return undefined;
  if (verify.targetRecords === null || verify.targetRecords >= verify.expectedRecords) return undefined;
  return `likely cause: ${formatCount(waits.inFlight)} frame${waits.inFlight > 1 ? 's' : ''} sent before the frame whose ids they rewrite was committed (--no-dependency-wait); 4.7.29 acks such a frame and drops it when its stale version condition is not its first`;
}

/**
 * The summary row: "37 of 40 frames held for their dependency's ack, total 4.20 s, max 310 ms — 4.7.29 drops …",
 * or undefined for a run that neither has a mix nor held a frame. `sentFrames`: distinct frames sent.
 */
export function describeDependencyWaits(
  waits: DependencyWaitSummary,
  sentFrames: number,
  mix: boolean,
): string | undefined {
  if (!mix && !waits.frames) return undefined;
  if (waits.wait === 'off')
    return `off (--no-dependency-wait): ${formatCount(waits.inFlight)} of ${formatCount(sentFrames)} frames sent while the frame whose ids they rewrite was in flight`;
  if (!waits.frames)
    return `none of ${formatCount(sentFrames)} frames held (no frame rewrote ids still in flight)`;
  const nudges = waits.nudges ? `, ${formatCount(waits.nudges)} nudge${waits.nudges > 1 ? 's' : ''}` : '';
  const uncommitted = waits.uncommitted ? `, ${formatCount(waits.uncommitted)} never committed` : '';
  return `${formatCount(waits.frames)} of ${formatCount(sentFrames)} frames held for their dependency's ack, total ${formatMs(waits.totalMs)}, max ${formatMs(waits.maxMs)}, p99 ${formatMs(waits.p99Ms)}${nudges}${uncommitted} — 4.7.29 drops a frame read before the frame it rewrites committed`;
}
