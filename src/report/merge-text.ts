/** The summary's shard section (`report --merge`): the set as a whole, then one line per shard, then what is wrong. */
import { formatCount, formatMs } from '../common/units.js';
import type { MergeSummary, ShardFigures } from './merge-summary.js';

const rate = (perSec: number | null) => (perSec === null ? '–' : `${formatCount(perSec)} rec/s`);

function shardLine(shard: ShardFigures): string {
  const offset =
    shard.firstSendOffsetMs === null
      ? 'no frame sent'
      : `first frame ${shard.firstSendOffsetMs < 0 ? '-' : '+'}${formatMs(Math.abs(shard.firstSendOffsetMs))}`;
  const figures = [
    `${shard.finished ? shard.outcome.toUpperCase() : 'NO RUN-END'} (exit ${shard.exitCode})`,
    `${formatCount(shard.sentRecords)} sent, ${formatCount(shard.committedRecords)} committed`,
    `send ${rate(shard.sendRecordsPerSec)}, commit ${rate(shard.commitRecordsPerSec)}`,
    `ack p99 ${shard.ackP99Ms === null ? '–' : formatMs(shard.ackP99Ms)}`,
    offset,
    `${shard.toolNodeName}${shard.samplesTarget ? ', samples the target' : ''}`,
  ];
  return `${`  shard ${shard.index}`.padEnd(12)}${figures.join(' · ')}`;
}

/** Nothing for a run that was not merged. */
export function mergeLines(merge: MergeSummary | undefined): string[] {
  if (!merge) return [];
  const folded = merge.shards.length;
  const lines = [
    '',
    `Shards (report --merge) — run ${merge.runId ?? '?'}: ${folded} of ${merge.count ?? '?'} folded, ${merge.complete ? 'complete' : 'INCOMPLETE'}`,
    ...merge.shards.map(shardLine),
  ];
  const { firstSendSpreadMs, runStartSpreadMs } = merge.skew;
  if (firstSendSpreadMs !== null || runStartSpreadMs !== null) {
    lines.push(
      `  skew               first frames ${formatMs(firstSendSpreadMs)} apart, run starts ${formatMs(runStartSpreadMs)} apart (seen, not corrected)`,
    );
  }
  for (const problem of merge.problems) lines.push(`  problem: ${problem}`);
  return lines;
}
