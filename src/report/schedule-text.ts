/** The summary's "schedule" section: achieved vs intended per stage and overall (see schedule-analysis.ts). */
import { formatCount, formatMs } from '../common/units.js';
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
