/**
 * The summary's load-over-time sections: achieved vs intended per stage (schedule-analysis.ts), a replay's pace, and
 * the soak trends (trend-analysis.ts).
 */
import { formatBytes, formatCount, formatMs } from '../common/units.js';
import type { RunResult } from './result.js';
import type { ScheduleFigures, ScheduleSummary } from './schedule-analysis.js';
import type { MemoryTrend, TrendSummary } from './trend-analysis.js';

/** Lines of the section (none for an unscheduled run), indented like the rest of the summary. */
export function scheduleLines(schedule: ScheduleSummary | null): string[] {
  if (!schedule) return [];
  const lines = ['', 'achieved vs intended (records/s: intended → sent, committed; lag behind schedule)'];
  for (const stage of schedule.stages) {
    lines.push(`  ${`stage ${stage.index + 1}`.padEnd(18)} ${stage.label}: ${describe(stage)}`);
  }
  lines.push(`  ${'overall'.padEnd(18)} ${describe(schedule.overall)}`);
  if (schedule.note) lines.push(`  ${'behind schedule'.padEnd(18)} ${schedule.note}`);
  return lines;
}

function describe(figures: ScheduleFigures): string {
  const rate = (value: number) => formatCount(Math.round(value));
  const share =
    figures.intendedRecords > 0
      ? ` (${Math.round((figures.sentRecords / figures.intendedRecords) * 100)} %)`
      : '';
  const held = figures.heldBackBy ? `, held back by the ${figures.heldBackBy}` : '';
  return `${rate(figures.intendedRecordsPerSec)} → ${rate(figures.sentRecordsPerSec)}${share}, ${rate(figures.committedRecordsPerSec)} committed; lag p99 ${formatMs(figures.lagP99Ms)} max ${formatMs(figures.lagMaxMs)}${held}`;
}

/** A replay's pace: which captured clock it followed and the span a pass takes by each (--pace-by). */
export function replayPaceLines(replay: RunResult['replay']): string[] {
  if (!replay?.paceSpansMs) return [];
  const { arrival, txnTime } = replay.paceSpansMs;
  const late =
    replay.behindScheduleMs === null ? '' : `, at most ${formatMs(replay.behindScheduleMs)} behind it`;
  return [
    '',
    'replay pace',
    `  ${'pace'.padEnd(18)} ${replay.speed} by ${replay.paceBy ?? 'arrival'}${late} (a pass: ${formatMs(txnTime)} by txn-time, ${formatMs(arrival)} by arrival)`,
  ];
}

/** "+1.25 MiB/min", "-300.0 KiB/min" (bytes per minute). */
export function formatSlope(bytesPerMin: number): string {
  return `${bytesPerMin < 0 ? '-' : '+'}${formatBytes(Math.round(Math.abs(bytesPerMin)))}/min`;
}

/** The trends section: memory slopes with their fit, ack latency's first and last windows; none for short runs. */
export function trendLines(trends: TrendSummary | undefined): string[] {
  if (!trends || (!trends.rss && !trends.heap)) return [];
  const memory = (trend: MemoryTrend | null) =>
    trend
      ? `${formatSlope(trend.slopeBytesPerMin)} (r² ${trend.r2.toFixed(2)}, ${formatCount(trend.points)} points over ${formatMs(trend.spanMs)})`
      : 'too few samples';
  const lines = ['', 'trends (least-squares over the load)'];
  lines.push(`  ${'target RSS'.padEnd(18)} ${memory(trends.rss)}`);
  lines.push(`  ${'worker heap'.padEnd(18)} ${memory(trends.heap)}`);
  const windows = trends.ackLatencyWindows.filter((w) => w.commits > 0);
  if (windows.length > 1) {
    const describe = (w: (typeof windows)[number]) =>
      `${formatMs(w.fromMs)}–${formatMs(w.toMs)} p50 ${formatMs(w.p50)} p99 ${formatMs(w.p99)}`;
    lines.push(
      `  ${'ack latency'.padEnd(18)} first ${describe(windows[0]!)}; last ${describe(windows.at(-1)!)}`,
    );
  }
  return lines;
}
