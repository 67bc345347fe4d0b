/**
 * Achieved vs intended for a scheduled run (--stages, --duration, a synth --rate): per stage and overall, the
 * records the schedule asked for, sent and committed, as rates; how far behind schedule the sender fell; and who
 * held it back — the target (the socket was waiting for it to read) or the tool itself (behind with the socket free).
 */
import { LatencyHistogram } from '../common/latency-histogram.js';
import type { RunEvent, ScheduleMeta } from '../events/schema.js';
import { stageAmount, stageLabel } from '../workload/rate-schedule.js';

/** A stage is behind schedule once its frames' p99 lag passes this (ms): a timer's jitter is not. */
export const BEHIND_LAG_MS = 100;
/** Behind, and the socket waited on the target for at least this share of the stage: the target held it back. */
export const TARGET_BOUND_SHARE = 0.1;

export type HeldBackBy = 'tool' | 'target' | null;

export interface ScheduleFigures {
  durationMs: number;
  intendedRecords: number;
  sentRecords: number;
  committedRecords: number;
  /** records/s over the stage's length. */
  intendedRecordsPerSec: number;
  sentRecordsPerSec: number;
  committedRecordsPerSec: number;
  /** How late the frames went out against their due times (ms; null: none sent). */
  lagMaxMs: number | null;
  lagP99Ms: number | null;
  /** Time the socket waited for the target to drain it while the stage ran (ms). */
  drainWaitMs: number;
  /** Who held the stage behind schedule (null: on schedule). */
  heldBackBy: HeldBackBy;
}

export interface StageFigures extends ScheduleFigures {
  index: number;
  label: string;
  /** Target rates at the stage's start and end, in the schedule's unit per second. */
  from: number;
  to: number;
}

export interface ScheduleSummary {
  unit: ScheduleMeta['unit'];
  /** When the schedule started (epoch ms: the first frame's due time); null when nothing was sent. */
  startedAt: number | null;
  /** Records per unit of the rates (1 for rps; records per frame × streams for fps): intended records/s = rate × this. */
  recordsPerUnit: number;
  stages: StageFigures[];
  overall: ScheduleFigures;
  /** One line when a rate was missed: who held it back (the tool must never be why without saying so). */
  note: string | null;
}

interface StageCounters {
  sent: number;
  committed: number;
  lag: LatencyHistogram;
  drainMs: number;
}

export class ScheduleAnalysis {
  private readonly counters: StageCounters[];
  private readonly overallLag = new LatencyHistogram();
  private readonly drains: Array<{ at: number; ms: number }> = [];
  /** When the schedule started: the first frame's send time less its lag (frame 0 is due at 0). */
  private origin?: number;
  private streams = 1;

  constructor(
    private readonly schedule: ScheduleMeta,
    private readonly recordsPerFrame: number,
  ) {
    this.counters = schedule.stages.map(() => ({
      sent: 0,
      committed: 0,
      lag: new LatencyHistogram(),
      drainMs: 0,
    }));
  }

  sink(event: RunEvent): void {
    if (event.type === 'run-start') this.streams = Math.max(1, event.streams?.length ?? 1);
    if (event.type === 'drain-wait') this.drains.push({ at: event.startedAt, ms: event.durationMs });
    if (event.type === 'frame-sent' && event.stage !== undefined && !event.resent) {
      this.origin ??= event.t - (event.lateMs ?? 0);
      const stage = this.counters[event.stage];
      if (!stage) return;
      stage.sent += event.records;
      if (event.lateMs !== undefined) {
        stage.lag.recordMs(event.lateMs);
        this.overallLag.recordMs(event.lateMs);
      }
    }
    if (event.type === 'frame-committed' && event.stage !== undefined) {
      const stage = this.counters[event.stage];
      if (stage) stage.committed += event.records;
    }
  }

  summary(): ScheduleSummary {
    const perUnit = this.schedule.unit === 'rps' ? 1 : this.recordsPerFrame;
    let start = 0;
    const stages = this.schedule.stages.map((stage, index): StageFigures => {
      const counters = this.counters[index]!;
      counters.drainMs = this.drainWithin(start, start + stage.durationMs);
      start += stage.durationMs;
      const intended = stageAmount(stage) * perUnit * this.streams;
      return {
        index,
        label: stageLabel(stage, this.schedule.unit),
        from: stage.from,
        to: stage.to,
        ...figures(stage.durationMs, intended, counters, counters.lag),
      };
    });
    const overall = figures(
      start,
      stages.reduce((sum, s) => sum + s.intendedRecords, 0),
      {
        sent: this.counters.reduce((sum, c) => sum + c.sent, 0),
        committed: this.counters.reduce((sum, c) => sum + c.committed, 0),
        drainMs: this.counters.reduce((sum, c) => sum + c.drainMs, 0),
      },
      this.overallLag,
    );
    return {
      unit: this.schedule.unit,
      startedAt: this.origin ?? null,
      recordsPerUnit: perUnit * this.streams,
      stages,
      overall,
      note: scheduleNote(stages, overall),
    };
  }

  /** Drain waits that overlap [fromMs, toMs) of the schedule, clipped to it. */
  private drainWithin(fromMs: number, toMs: number): number {
    if (this.origin === undefined) return 0;
    const from = this.origin + fromMs;
    const to = this.origin + toMs;
    return this.drains.reduce(
      (sum, d) => sum + Math.max(0, Math.min(to, d.at + d.ms) - Math.max(from, d.at)),
      0,
    );
  }
}

function figures(
  durationMs: number,
  intended: number,
  counters: Pick<StageCounters, 'sent' | 'committed' | 'drainMs'>,
  lag: LatencyHistogram,
): ScheduleFigures {
  const seconds = durationMs / 1000;
  const perSec = (count: number) => (seconds > 0 ? Math.round((count / seconds) * 100) / 100 : 0);
  const lagSummary = lag.summary();
  const behind = (lagSummary.p99 ?? 0) > BEHIND_LAG_MS;
  const targetBound = counters.drainMs >= TARGET_BOUND_SHARE * durationMs;
  return {
    durationMs: Math.round(durationMs),
    intendedRecords: Math.round(intended),
    sentRecords: counters.sent,
    committedRecords: counters.committed,
    intendedRecordsPerSec: perSec(intended),
    sentRecordsPerSec: perSec(counters.sent),
    committedRecordsPerSec: perSec(counters.committed),
    lagMaxMs: lagSummary.max,
    lagP99Ms: lagSummary.p99,
    drainWaitMs: Math.round(counters.drainMs),
    heldBackBy: behind ? (targetBound ? 'target' : 'tool') : null,
  };
}

function scheduleNote(stages: StageFigures[], overall: ScheduleFigures): string | null {
  if (!overall.heldBackBy) return null;
  const behind = stages.filter((s) => s.heldBackBy).map((s) => `stage ${s.index + 1}`);
  const where = behind.length ? ` (${behind.join(', ')})` : '';
  return overall.heldBackBy === 'tool'
    ? `the tool itself fell behind schedule${where}: p99 lag ${overall.lagP99Ms} ms while its socket was not waiting on the target — the missed rate is the tool's, not the target's`
    : `the target held the sender behind schedule${where}: p99 lag ${overall.lagP99Ms} ms, the socket waited ${overall.drainWaitMs} ms for it to read`;
}
