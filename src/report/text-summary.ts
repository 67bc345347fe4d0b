/** The human summary printed after a run (stdout). */
import { formatBytes, formatCount, formatMs } from '../cli/units.js';
import type { SynthResult } from '../run/synth-run.js';

export function formatSynthSummary(result: SynthResult): string {
  const { sent, committed, verify, timing, target, workload } = result;
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(18)} ${value}`);
  lines.push(
    `harper-replay synth — ${result.outcome.toUpperCase()}${result.error ? `: ${result.error}` : ''}`,
  );
  lines.push('');
  row(
    'target',
    `${target.nodeName ?? '?'} ${target.embedded ? '(embedded harperdb 4.7.29)' : `(${target.operationsUrl})`} via ${target.via}`,
  );
  row('table', `${target.database}.${target.table}`);
  row(
    'workload',
    `${workload.preset ? `${workload.preset}: ` : ''}${formatCount(workload.frames)} frames × ${formatCount(workload.recordsPerFrame)} records × ${workload.recordSize} B${workload.blobSize ? `, ${formatBytes(workload.blobSize)} blobs` : ''} (seed ${workload.seed})`,
  );
  lines.push('');
  row(
    'sent',
    `${formatCount(sent.frames)} frames, ${formatCount(sent.records)} records, ${formatBytes(sent.bytes)}${sent.blobs ? `, ${formatCount(sent.blobs)} blobs (${formatBytes(sent.blobBytes)})` : ''}${sent.resentFrames ? `, ${sent.resentFrames} resent` : ''}`,
  );
  row(
    'send rate',
    timing.sendRecordsPerSec === null
      ? '–'
      : `${formatCount(timing.sendRecordsPerSec)} records/s, ${timing.sendMBPerSec} MB/s over ${formatMs(timing.sendMs)}`,
  );
  row(
    'committed',
    `${formatCount(committed.frames)} of ${formatCount(workload.frames)} frames, ${formatCount(committed.records)} records in ${formatCount(committed.acks)} acks${timing.commitRecordsPerSec ? ` (${formatCount(timing.commitRecordsPerSec)} records/s)` : ''}`,
  );
  const latency = committed.ackLatencyMs;
  row(
    'ack latency',
    `p50 ${formatMs(latency.p50)}  p99 ${formatMs(latency.p99)}  max ${formatMs(latency.max)}`,
  );
  row(
    'flow control',
    `${result.flow.waits} drain waits, ${formatMs(result.flow.totalMs)} in total, longest ${formatMs(result.flow.longestMs)}`,
  );
  if (result.reconnects) row('reconnects', String(result.reconnects));
  row(
    'verify',
    verify.skipped
      ? 'skipped (--no-verify)'
      : verify.targetRecords === null
        ? 'not done'
        : `${formatCount(verify.targetRecords)} of ${formatCount(verify.expectedRecords)} records on the target — ${verify.ok ? 'OK' : 'MISMATCH'}`,
  );
  if (result.cluster.otherMembers.length) {
    row(
      'cluster',
      `${result.cluster.otherMembers.length} other cluster member(s) dialed in; not loaded: ${result.cluster.otherMembers.join(', ')}`,
    );
  }
  row('duration', formatMs(timing.durationMs));
  for (const warning of result.warnings) lines.push(`  warning: ${warning}`);
  return lines.join('\n');
}
