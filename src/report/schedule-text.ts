/** The summary's "schedule" section: achieved vs intended per stage and overall (see schedule-analysis.ts). */
import { formatCount, formatMs } from '../common/units.js';
import type { RunResult } from './result.js';
import type { ScheduleFigures, ScheduleSummary } from './schedule-analysis.js';

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
