/** The human summary printed after a run (stdout). */

import { ExitCode } from '../common/errors.js';
import { formatBytes, formatCount, formatMs } from '../common/units.js';
import type { IndexCheck, OperationsMeta, ValueSample } from '../events/schema.js';
import type { AckSummary } from './ack-analysis.js';
import { describeDependencyWaits, likelyLossCause } from './dependency-waits.js';
import type { HerdDeath } from './herd-analysis.js';
import { describeValue } from './junit.js';
import { mergeLines } from './merge-text.js';
import { describeOpenEnded } from './open-ended.js';
import { remoteRows } from './remote-text.js';
import type { RunResult } from './result.js';
import { formatSlope, replayPaceLines, scheduleLines, trendLines } from './schedule-text.js';
import { shapeLines } from './shape-lines.js';
import { METRICS } from './thresholds.js';

function formatMetric(metric: string, value: number | null): string {
  if (value === null) return 'no data';
  const unit = METRICS[metric]?.unit;
  if (unit === 'bytes') return formatBytes(value);
  if (unit === 'ms') return formatMs(value);
  if (unit === 'percent') return `${value.toFixed(1)} %`;
  if (unit === 'slope') return formatSlope(value);
  return formatCount(Math.round(value * 100) / 100);
}

/** ", blob faults: error 4, withhold 2" (none: ''). */
function describeFaults(faults: Partial<Record<string, number>> | undefined): string {
  const parts = Object.entries(faults ?? {}).map(([kind, count]) => `${kind} ${count}`);
  return parts.length ? `; blob faults sent: ${parts.join(', ')}` : '';
}

/** "death 1 at 12.3 s: 8 of 8 streams re-subscribed within 210 ms (first after 1.20 s), smallest gap 3 ms". */
function describeDeath(death: HerdDeath, index: number): string {
  const head = `death ${index + 1} at ${formatMs(death.atMs)}: ${death.resubscribed} of ${death.dropped} stream(s) re-subscribed`;
  const lines = describeSetupLines(death);
  if (death.firstMs === null) return `${head}${lines}`;
  const within = death.resubscribed > 1 ? ` within ${formatMs(death.spreadMs)}` : '';
  const gap = death.smallestGapMs !== null ? `, smallest gap ${formatMs(death.smallestGapMs)}` : '';
  return `${head}${within} (first after ${formatMs(death.firstMs)})${gap}${lines}`;
}

/** "; the target logged 9 "Setting up subscription" lines 979 ms–980 ms after" ('' when its log said nothing). */
function describeSetupLines(death: HerdDeath): string {
  if (death.subscriptionLines === null) return '';
  const { subscriptionLinesFirstMs: first, subscriptionLinesLastMs: last } = death;
  const when = first === null ? '' : ` ${formatMs(first)}${last !== first ? `–${formatMs(last)}` : ''} after`;
  return `; the target logged ${death.subscriptionLines} "Setting up subscription" line(s)${when}`;
}

/** "2 stalls ≥ 250 ms, 2.10 s in all, longest 1.05 s (frame 7); 3 frames never acked: 12, 13, 14". */
function describeAckStalls(acks: AckSummary): string {
  const longest = acks.episodes.reduce<AckSummary['episodes'][number] | undefined>(
    (top, e) => (top && top.durationMs >= e.durationMs ? top : e),
    undefined,
  );
  const stalls = acks.stalls
    ? `${acks.stalls} ≥ ${formatMs(acks.minStallMs)}, ${formatMs(acks.totalStallMs)} in all, longest ${formatMs(acks.longestStallMs)} (waiting on frame ${longest?.firstFrame}${longest?.stream ? ` of ${longest.stream}` : ''}${longest?.open ? ', never acked' : ''})`
    : `none ≥ ${formatMs(acks.minStallMs)} (longest wait ${formatMs(acks.longestStallMs)})`;
  if (!acks.unackedFrames) return stalls;
  const shown = acks.unacked.slice(0, 5);
  const listed = shown.map((f) => (f.stream ? `${f.stream}#${f.index}` : `${f.index}`)).join(', ');
  const more = acks.unackedFrames > shown.length ? ', …' : '';
  return `${stalls}; ${formatCount(acks.unackedFrames)} frame(s) never acked: ${listed}${more}`;
}

const mib = (bytes: number | null | undefined) =>
  bytes === null || bytes === undefined ? '–' : formatBytes(bytes);

/** Lines of the summary: `row` is an aligned label and value, `section` a blank line and a title. */
class SummaryLines {
  readonly lines: string[] = [];
  row = (label: string, value: string) => this.lines.push(`  ${label.padEnd(18)} ${value}`);
  section = (title: string) => this.lines.push('', title);
  push = (line: string) => this.lines.push(line);
}

export function formatRunSummary(result: RunResult): string {
  const out = new SummaryLines();
  for (const part of [
    headline,
    (o: SummaryLines, r: RunResult) => shapeLines(r.shapes).forEach(o.push),
    sentAndCommitted,
    pausesPart,
    memoryPart,
    workersPart,
    streamsPart,
    membersPart,
    remotePart,
  ]) {
    part(out, result);
  }
  for (const line of mergeLines(result.merge)) out.push(line);
  for (const line of scheduleLines(result.schedule)) out.push(line);
  for (const line of replayPaceLines(result.replay)) out.push(line);
  for (const line of trendLines(result.trends)) out.push(line);
  clusterAndThresholds(out, result);
  out.push('');
  out.row('duration', formatMs(result.timing.durationMs));
  for (const warning of result.warnings) out.push(`  warning: ${warning}`);
  return out.lines.join('\n');
}

function headline(out: SummaryLines, result: RunResult): void {
  const { target, workload } = result;
  const { row } = out;
  out.push(
    `harper-replay ${result.command} — ${result.outcome.toUpperCase()}${result.error ? `: ${result.error}` : ''}`,
  );
  out.push('');
  row(
    'target',
    `${target.nodeName ?? '?'} ${target.embedded ? '(embedded harperdb 4.7.29)' : `(${target.operationsUrl ?? '?'})`} via ${target.via}`,
  );
  const databases = target.databases ?? [target.database];
  row(
    'table',
    databases.length > 1
      ? `${target.table} in ${databases.length} databases: ${databases.join(', ')}`
      : `${target.database}.${target.table}`,
  );
  const { sharding } = result;
  if (sharding) {
    const start =
      sharding.startAt === undefined ? '' : `, started at ${new Date(sharding.startAt).toISOString()}`;
    row('shard', `${sharding.index}/${sharding.count} of run ${sharding.runId}${start}`);
  }
  if (result.shapes) {
    const tables = result.shapes.length;
    row(
      'workload',
      `shaped records: ${formatCount(workload.totalRecords)} in ${tables} table${tables > 1 ? 's' : ''} (seed ${workload.seed})`,
    );
    if (workload.operations) row('operations', describeOperations(workload.operations));
    return;
  }
  row(
    'workload',
    `${workload.preset ? `${workload.preset}: ` : ''}${formatCount(workload.frames)} frames × ${formatCount(workload.recordsPerFrame)} records × ${workload.recordSize} B${workload.blobSize ? `, ${formatBytes(workload.blobSize)} blobs` : ''}${result.command === 'synth' ? ` (seed ${workload.seed})` : ''}`,
  );
  if (workload.openEnded) row('pace', describeOpenEnded(workload.openEnded));
  if (workload.operations) row('operations', describeOperations(workload.operations));
}

/** `--mix insert=70,update=25,delete=5, keys zipf:1.1: sent 1,409 inserts (1,380 planned), …`. */
function describeOperations(operations: OperationsMeta): string {
  const kinds = (['insert', 'update', 'delete'] as const).map((kind) => {
    const { planned, sent } = operations;
    return `${formatCount(sent[kind])} ${kind}s${planned[kind] === sent[kind] ? '' : ` (${formatCount(planned[kind])} planned)`}`;
  });
  const leading = operations.leadingInserts
    ? `; the first ${formatCount(operations.leadingInserts)} re-create the captured ids`
    : '';
  return `${operations.mix}, keys ${operations.keys}: sent ${kinds.join(', ')}${leading}`;
}

/** `200 ids read back (180 present, 20 deleted): all match` or the first mismatch. */
function describeSample(sample: ValueSample): string {
  const checked = `${formatCount(sample.checked)} ids read back (${formatCount(sample.present)} present, ${formatCount(sample.checked - sample.present)} absent)`;
  return sample.mismatches
    ? `${checked}: ${formatCount(sample.mismatches)} MISMATCH — ${sample.firstMismatches[0] ?? ''}`
    : `${checked}: all as expected`;
}

function sentAndCommitted(out: SummaryLines, result: RunResult): void {
  const { sent, committed, verify, timing } = result;
  const { row, section } = out;
  section('sent and committed');
  row(
    'sent',
    `${formatCount(sent.frames)} frames, ${formatCount(sent.records)} records, ${formatBytes(sent.bytes)}${sent.blobs ? `, ${formatCount(sent.blobs)} blobs (${formatBytes(sent.blobBytes)})` : ''}${sent.resentFrames ? `, ${sent.resentFrames} resent` : ''}${describeFaults(sent.blobFaults)}`,
  );
  row(
    'send rate',
    timing.sendRecordsPerSec === null
      ? '–'
      : `${formatCount(timing.sendRecordsPerSec)} records/s, ${timing.sendMBPerSec} MB/s over ${formatMs(timing.sendMs)}`,
  );
  row(
    'committed',
    `${formatCount(committed.frames)} of ${formatCount(plannedFrames(result))} frames, ${formatCount(committed.records)} records in ${formatCount(committed.acks)} acks${timing.commitRecordsPerSec ? ` (${formatCount(timing.commitRecordsPerSec)} records/s)` : ''}`,
  );
  const latency = committed.ackLatencyMs;
  row(
    'ack latency',
    `p50 ${formatMs(latency.p50)}  p99 ${formatMs(latency.p99)}  max ${formatMs(latency.max)}`,
  );
  row('ack stalls', describeAckStalls(result.acks));
  const waits = describeDependencyWaits(
    result.dependencyWaits,
    sent.frames - sent.resentFrames,
    !!result.workload.operations,
  );
  if (waits) row('dependency waits', waits);
  if (result.liveness) {
    const { probes, committed: ok, maxMs } = result.liveness;
    row(
      'liveness',
      ok === probes
        ? `probe record committed after ${formatMs(maxMs)}${probes > 1 ? ` (slowest of ${probes} streams)` : ''}`
        : `probe record NOT committed on ${probes - ok} of ${probes} stream(s) within --ack-timeout`,
    );
  }
  row(
    'verify',
    verify.skipped
      ? result.command === 'synth'
        ? 'skipped (--no-verify)'
        : 'by acks: a replayed capture may update rows the target already has, so rows are not counted'
      : verify.targetRecords === null
        ? 'not done'
        : `${formatCount(verify.targetRecords)} of ${formatCount(verify.expectedRecords)} records on the target — ${verify.ok ? 'OK' : 'MISMATCH'}`,
  );
  const cause = likelyLossCause(result.dependencyWaits, verify);
  if (cause) row('', cause);
  if (verify.sample) row('values', describeSample(verify.sample));
  for (const check of verify.indexChecks ?? []) row('index', describeIndexCheck(check));
}

function describeIndexCheck(check: IndexCheck): string {
  const search = `${check.table}.${check.attribute} = ${JSON.stringify(check.value)}`;
  return `${search}: found ${formatCount(check.found)} of ${formatCount(check.expected)} sampled ids — ${check.ok ? 'OK' : 'MISSED'}`;
}

function pausesPart(out: SummaryLines, result: RunResult): void {
  const { pauses } = result;
  const { row, section } = out;
  section(
    `pauses (stalls > ${pauses.thresholdMs} ms, from ${pauses.source === 'kernel' ? 'kernel socket queues' : pauses.source === 'drain' ? 'drain waits' : 'no data'})`,
  );
  row(
    'stalls',
    `${pauses.count} episodes, ${formatMs(pauses.totalMs)} in total${pauses.wallMs < pauses.totalMs ? ` over several connections (${formatMs(pauses.wallMs)} of wall time with any stalled)` : ''}, longest ${formatMs(pauses.longestMs)}`,
  );
  row(
    'cause',
    `flow control (target responsive) ${formatMs(pauses.flowControlMs)}, blocked (target unresponsive > ${pauses.blockedAfterMs} ms) ${formatMs(pauses.blockedMs)}`,
  );
  // The probe tells "blocked" from "flow control" only if it lands on the thread that decodes the stream.
  if ((result.workers.maxThreads ?? 0) > 1 && pauses.count > 0) {
    row(
      '',
      `(${result.workers.maxThreads} worker threads: the probe may be answered by an idle one, so blocked time can be under-reported)`,
    );
  }
  row(
    "target's own word",
    pauses.targetLogged === null
      ? 'not logged at this log level (run the node with LOGGING_LEVEL=debug)'
      : `${pauses.targetLogged} pause / ${pauses.targetResumes} resume lines in its log`,
  );
  row(
    'tool drain waits',
    `${result.flow.waits}, ${formatMs(result.flow.totalMs)} in total, longest ${formatMs(result.flow.longestMs)}`,
  );
}

function memoryPart(out: SummaryLines, result: RunResult): void {
  const { memory } = result;
  const { row, section } = out;
  if (result.sharding && !result.sharding.samplesTarget) {
    section('memory');
    row('target memory', 'sampled by shard 0 (one shard measures the node for the whole run)');
    return;
  }
  section(
    `memory (${memory.sampler === 'proc' ? '/proc every 20 ms' : memory.sampler === 'system_information' ? 'system_information' : 'no samples'})`,
  );
  row(
    'target RSS',
    `baseline ${mib(memory.baselineRss)}, peak ${mib(memory.peakRss)}${memory.growthRss !== null ? ` (+${mib(memory.growthRss)})` : ''}${memory.peakAtMs !== null ? ` at ${formatMs(memory.peakAtMs)}` : ''}, end ${mib(memory.endRss)}`,
  );
  if (memory.kernelPeakRss !== null) row('kernel VmHWM', mib(memory.kernelPeakRss));
  const { external } = memory;
  if (external.peakThread !== null) {
    row(
      'external memory',
      `worker peak ${mib(external.peakThread)}${external.growthThread !== null ? ` (+${mib(external.growthThread)} over its baseline)` : ''}, array buffers peak ${mib(external.peakThreadArrayBuffers)}`,
    );
  }
  row(
    'system_information',
    `peak RSS ${mib(memory.slow.peakRss)}, worker heap peak ${mib(memory.slow.peakThreadHeap)}, slowest answer ${formatMs(memory.slow.maxLatencyMs)}${memory.slow.missedPeak ? ` — missed ${mib(memory.slow.missedPeak)} of the peak` : ''}`,
  );
}

function workersPart(out: SummaryLines, result: RunResult): void {
  const { workers } = result;
  const { row, section } = out;
  section('workers');
  row(
    'deaths',
    `${workers.deaths} (OOM events ${workers.oomEvents}${workers.threadsGone.length ? `, thread ids gone: ${workers.threadsGone.join(', ')}` : ''})${workers.targetExited ? ' — the target process exited' : ''}`,
  );
  row(
    'reconnects',
    `${workers.reconnects}${workers.resumes.length ? ` (resumed at frames ${workers.resumes.map((r) => r.fromFrame).join(', ')})` : ''}`,
  );
  // Only Harper 5.x has a receive watchdog: on 4.7 a 0 says nothing, so the row says why.
  const hasWatchdog = result.target.harper?.family === '5.x' || workers.watchdogReconnects > 0;
  row(
    'watchdog reconnects',
    `${workers.watchdogReconnects}${hasWatchdog ? " (the target's receive watchdog)" : ' (the receive watchdog exists from Harper 5.x on)'}`,
  );
  for (const [i, death] of result.herd.deaths.entries())
    row(i ? '' : 're-subscriptions', describeDeath(death, i));
  if (workers.targetFaultsFired !== null) {
    row(
      'target faults',
      `${(result.target.faults ?? []).join(', ')}: armed, fired ${workers.targetFaultsFired} time(s)`,
    );
  }
  const blob = workers.blobLines;
  if (blob.blobError + blob.blobTimeout + blob.blobSaveFailed > 0) {
    row(
      'blob lines',
      `Blob error ${blob.blobError}, blob stream timeout ${blob.blobTimeout}, Blob save failed ${blob.blobSaveFailed}`,
    );
  }
  const errors = workers.logErrors;
  row(
    'log errors',
    `OOM ${errors.oom}, uncaught ${errors.uncaught}, blob save failed ${errors.blobSaveFailed}, replication message errors ${errors.replicationError}`,
  );
  for (const entry of errors.first.slice(0, 3)) out.push(`    ${entry.line}`);
}

/** Frames the run set out to send: each stream's own count when the streams differ, else the workload's each. */
function plannedFrames(result: RunResult): number {
  const streams = result.streams ?? [];
  if (streams.length && streams.every((s) => s.frames !== undefined))
    return streams.reduce((sum, s) => sum + s.frames!, 0);
  return result.workload.frames * Math.max(1, streams.length);
}

function streamsPart(out: SummaryLines, result: RunResult): void {
  const { workload } = result;
  const { row, section } = out;
  const streams = result.streams ?? [];
  if (streams.length > 1) {
    section(`streams (${streams.length}, each over its own connection)`);
    for (const stream of streams) {
      const verified = stream.verify
        ? stream.verify.targetRecords === null
          ? ', verify not done'
          : `, ${formatCount(stream.verify.targetRecords)} of ${formatCount(stream.verify.expectedRecords)} on the target${stream.verify.ok ? '' : ' — MISMATCH'}`
        : '';
      row(
        stream.connection === undefined
          ? stream.stream
          : `${stream.stream} (connection ${stream.connection})`,
        `${formatCount(stream.committed.frames)}/${formatCount(stream.frames ?? workload.frames)} frames committed, ${formatCount(stream.committed.records)} records, ack p99 ${formatMs(stream.committed.ackLatencyMs.p99)}${stream.resumes ? `, ${stream.resumes} resumes` : ''}${verified}`,
      );
    }
  }
}

/** The target as Harper reports it (version, closes, cluster_status); absent from results of older tools. */
function remotePart(out: SummaryLines, result: RunResult): void {
  const rows = remoteRows(result.remote);
  if (!rows.length) return;
  out.section('Harper (as the target reports it)');
  for (const [label, text] of rows) out.row(label, text);
}

function membersPart(out: SummaryLines, result: RunResult): void {
  const { row, section } = out;
  if (result.members?.length) {
    section(`members (--fan-out: ${result.members.length} loaded)`);
    for (const member of result.members) {
      const memory = member.sampled
        ? `peak RSS ${mib(member.memory.peakRss)}${member.memory.growthRss !== null ? ` (+${mib(member.memory.growthRss)})` : ''}`
        : 'not sampled';
      row(
        member.nodeName,
        `${formatCount(member.committed.records)} records committed, ack p99 ${formatMs(member.committed.ackLatencyMs.p99)}, ${memory}, ${member.pauses.count} stalls (${formatMs(member.pauses.totalMs)}), ${member.workers.deaths} worker deaths`,
      );
    }
    const totals = result.cluster.totals;
    if (totals) {
      row(
        'cluster total',
        `${formatCount(totals.committedRecords)} records committed, peak RSS sum ${mib(totals.peakRssSum)}, ${totals.pausesCount} stalls (${formatMs(totals.pausedMs)}), ${totals.workerDeaths} worker deaths`,
      );
    }
  }
}

function clusterAndThresholds(out: SummaryLines, result: RunResult): void {
  const { row, section } = out;
  if (result.cluster.otherMembers.length) {
    section('cluster');
    row(
      'not loaded',
      `${result.cluster.otherMembers.length} other cluster member(s) subscribed; not loaded: ${result.cluster.otherMembers.join(', ')}`,
    );
  }
  if (result.thresholds.length) {
    section('thresholds');
    for (const t of result.thresholds) {
      const mark = t.ok === null ? '–' : t.ok ? '✓' : '✗';
      const value =
        t.ok === null
          ? `not evaluated (the target was never ${result.exitCode === ExitCode.READY_TOO_LATE ? 'loaded: ready too late' : 'reached'})`
          : t.delta
            ? `${describeValue(t)} against the baseline`
            : formatMetric(t.metric, t.value);
      out.push(`  ${mark} ${t.expression.padEnd(28)} ${value}`);
    }
  }
}
