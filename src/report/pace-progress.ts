/**
 * The progress line's pace part for a scheduled run: the current stage, its target rate now and the rate achieved
 * over the last couple of seconds ("stage 2/3 target 2,000 rps, sent 1,987 rps"). A sink of frame-sent events.
 */
import type { RunEvent, ScheduleMeta } from '../events/schema.js';
import { rateAt, stageAt, totalDurationMs } from '../workload/rate-schedule.js';

/** The achieved rate is what was sent in this trailing window (ms). */
export const ACHIEVED_WINDOW_MS = 2000;

export class PaceProgress {
  private origin?: number;
  private readonly recent: Array<{ t: number; amount: number }> = [];

  constructor(private readonly schedule: ScheduleMeta) {}

  sink(event: RunEvent): void {
    if (event.type !== 'frame-sent' || event.stage === undefined || event.resent) return;
    this.origin ??= event.t - (event.lateMs ?? 0);
    this.recent.push({ t: event.t, amount: this.schedule.unit === 'rps' ? event.records : 1 });
  }

  /** The pace part at `now`, or '' before the first frame. */
  describe(now: number): string {
    if (this.origin === undefined) return '';
    while (this.recent.length && this.recent[0]!.t < now - ACHIEVED_WINDOW_MS) this.recent.shift();
    const elapsed = now - this.origin;
    const windowMs = Math.min(ACHIEVED_WINDOW_MS, Math.max(elapsed, 1));
    const achieved = (this.recent.reduce((sum, r) => sum + r.amount, 0) * 1000) / windowMs;
    const { unit, stages } = this.schedule;
    const format = (value: number) =>
      value.toLocaleString('en-US', { maximumFractionDigits: value < 10 ? 2 : 0 });
    const stage =
      elapsed >= totalDurationMs(this.schedule)
        ? 'schedule done'
        : `stage ${stageAt(this.schedule, elapsed) + 1}/${stages.length}`;
    return `${stage} target ${format(rateAt(this.schedule, elapsed))} ${unit}, sent ${format(achieved)} ${unit}`;
  }
}
