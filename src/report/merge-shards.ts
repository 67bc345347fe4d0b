/**
 * `report --merge`: the samples files of one run's shards (`--shard i/n`, one process each) folded into ONE result
 * by the fold a single run uses (ResultBuilder, RunCollector). Pure: the caller reads the files. A first pass
 * (ShardScan) learns each file's shard, start and end and folds it alone for the per-shard figures; checkShards
 * says whether the files are shards 0…n-1 of one run id; foldShards merges their events in time order into one
 * stream — one run-meta, run-start, verify per stream and run-end for the whole run, socket ids made distinct — so
 * counts are sums and latency percentiles come from every frame's own event in one histogram: exact, never averaged.
 */
import { ExitCode } from '../common/errors.js';
import type { RunEvent, RunMeta, RunOutcome, RunPhase, StreamPlan } from '../events/schema.js';
import { shardBlock } from '../workload/shard.js';
import { sumVerify } from './breakdown.js';
import type { MergeSummary, ShardFigures } from './merge-summary.js';
import { ResultBuilder, type RunResult } from './result.js';
import { type MetricSource, notEvaluated, parseThreshold } from './thresholds.js';

type RunStart = Extract<RunEvent, { type: 'run-start' }>;
type RunEnd = Extract<RunEvent, { type: 'run-end' }>;
type Verify = Extract<RunEvent, { type: 'verify' }>;

/** Shards whose first frames went out further apart than this are warned about (clock skew or a late shard). */
export const SKEW_WARN_MS = 500;
/** Shard i's socket ids become i × this + id: every process numbers its sockets from 1. */
export const SOCKET_ID_STRIDE = 1_000_000;

/** What a first pass over one file learns: its shard, start and end, and the shard folded alone. */
export class ShardScan {
  meta?: RunMeta;
  start?: RunStart;
  end?: RunEnd;
  firstSendAt?: number;
  lastEventAt?: number;
  readonly phases = new Set<RunPhase>();
  /** The first frame index sent on each stream (shards of one run send different frames: their firsts differ). */
  readonly firstFrames = new Map<string, number>();
  private readonly builder = new ResultBuilder();

  constructor(readonly path: string) {}

  readonly sink = (event: RunEvent): void => {
    // As the fold does: a run is what happened up to its end.
    if (this.end) return;
    this.lastEventAt = event.t;
    if (event.type === 'run-meta') this.meta ??= event.meta;
    else if (event.type === 'run-start') this.start ??= event;
    else if (event.type === 'run-end') this.end = event;
    else if (event.type === 'phase') this.phases.add(event.phase);
    else if (event.type === 'frame-sent') {
      this.firstSendAt ??= event.t;
      if (!this.firstFrames.has(event.stream ?? '')) this.firstFrames.set(event.stream ?? '', event.index);
    }
    this.builder.sink(event);
  };

  get index(): number | undefined {
    return this.meta?.sharding?.index;
  }

  /** The shard folded alone (undefined without a run-meta). */
  result(): RunResult | undefined {
    return this.meta ? this.builder.build() : undefined;
  }
}

/** The files checked as one run's shards: those folded (one per index, in index order) and what is wrong. */
export interface ShardSet {
  runId: string | null;
  count: number | null;
  shards: ShardScan[];
  missing: number[];
  unfinished: MergeSummary['unfinished'];
  problems: string[];
}

/** The value most files agree on (the first file's on a tie). */
function mostCommon<T>(values: T[]): T | undefined {
  const counts = new Map<T, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  let best: T | undefined;
  for (const [value, count] of counts) if (best === undefined || count > counts.get(best)!) best = value;
  return best;
}

/** The first workload setting two shards' runs differ in (every shard runs the same flags but --shard). */
function workloadDifference(a: RunMeta, b: RunMeta): string | undefined {
  const keys = ['frames', 'recordsPerFrame', 'recordSize', 'blobSize', 'seed'] as const;
  const key = keys.find((k) => a.workload[k] !== b.workload[k]);
  if (key) return `workload.${key} ${b.workload[key]}`;
  return a.command === b.command ? undefined : `command ${b.command}`;
}

/** Which files are shards 0…n-1 of one run id; everything else is a problem line (and makes the merge incomplete). */
export function checkShards(scans: ShardScan[]): ShardSet {
  const problems: string[] = [];
  const sharded = scans.filter((scan) => {
    if (!scan.meta) problems.push(`${scan.path}: no run-meta event (an empty file, or not a samples file)`);
    else if (!scan.meta.sharding) problems.push(`${scan.path}: not a shard (its run had no --shard)`);
    return scan.meta?.sharding !== undefined;
  });
  const runId = mostCommon(sharded.map((s) => s.meta!.sharding!.runId)) ?? null;
  const ofRun = sharded.filter((scan) => {
    const id = scan.meta!.sharding!.runId;
    if (id !== runId) problems.push(`${scan.path}: run id "${id}", not "${runId}" (another run): left out`);
    return id === runId;
  });
  const count = mostCommon(ofRun.map((s) => s.meta!.sharding!.count)) ?? null;
  const byIndex = new Map<number, ShardScan>();
  for (const scan of ofRun) {
    const { index, count: its } = scan.meta!.sharding!;
    const first = byIndex.get(index);
    if (its !== count)
      problems.push(`${scan.path}: shard ${index}/${its}, the others are of ${count}: left out`);
    else if (first)
      problems.push(`shard ${index} twice: ${first.path} and ${scan.path} (the second is left out)`);
    else byIndex.set(index, scan);
  }
  const [reference] = [...byIndex.values()];
  for (const scan of byIndex.values()) {
    const differs = workloadDifference(reference!.meta!, scan.meta!);
    if (differs)
      problems.push(`shard ${scan.index}: ${differs} differs from shard ${reference!.index}'s: not one run`);
  }
  const missing = Array.from({ length: count ?? 0 }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length)
    problems.push(`missing shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${count}`);
  const shards = [...byIndex.values()].sort((a, b) => a.index! - b.index!);
  const unfinished = shards
    .filter((scan) => !scan.end)
    .map((scan) => ({ index: scan.index!, toolNodeName: scan.meta!.toolNodeName, path: scan.path }));
  for (const shard of unfinished) {
    problems.push(
      `shard ${shard.index} (${shard.path}) ended without its run-end (killed?): its peer registration ${shard.toolNodeName} may be left on the target (harper-replay cleanup removes it)`,
    );
  }
  return { runId, count, shards, missing, unfinished, problems };
}

const WORSE: Record<RunOutcome, number> = { complete: 0, incomplete: 1, interrupted: 2, failed: 3 };

/** The whole run's end: the worst shard's outcome and exit code, every shard's error, cleanup as a whole. */
function mergedEnd(shards: ShardScan[], t: number): RunEnd {
  const ends = shards.map(
    (scan): Omit<RunEnd, 't' | 'type' | 'cleanup'> =>
      scan.end ?? { outcome: 'interrupted', exitCode: ExitCode.INTERRUPTED, error: 'no run-end' },
  );
  let worst = ends[0]!;
  for (const end of ends) if (WORSE[end.outcome] > WORSE[worst.outcome]) worst = end;
  const errors = ends.flatMap((end, i) => (end.error ? [`shard ${shards[i]!.index}: ${end.error}`] : []));
  const removed = shards.map((scan) => scan.end?.cleanup.removedFromTarget ?? null);
  return {
    type: 'run-end',
    t,
    outcome: worst.outcome,
    exitCode: worst.exitCode,
    ...(errors.length ? { error: errors.join('; ') } : {}),
    cleanup: {
      removedFromTarget: removed.every((r) => r === null) ? null : removed.every((r) => r !== false),
      targetStopped: shards.some((scan) => scan.end?.cleanup.targetStopped),
    },
  };
}

/** The whole run's start: frames and records summed, the streams of every shard (frames summed per stream). */
function mergedStart(shards: ShardScan[], t: number): RunStart {
  const starts = shards.flatMap((scan) => (scan.start ? [scan.start] : []));
  const streams = new Map<string, StreamPlan>();
  for (const plan of starts.flatMap((start) => start.streams ?? [])) {
    const seen = streams.get(plan.stream);
    if (!seen) streams.set(plan.stream, { ...plan });
    else if (seen.frames !== undefined && plan.frames !== undefined) seen.frames += plan.frames;
  }
  const first = starts[0]!;
  return {
    ...first,
    t,
    frames: starts.reduce((sum, s) => sum + s.frames, 0),
    records: starts.reduce((sum, s) => sum + s.records, 0),
    ...(first.streams ? { streams: [...streams.values()] } : {}),
  };
}

/** One verify event per stream: every shard's counts of its own ids summed. */
function mergedVerifies(verifies: Verify[]): Verify[] {
  const byStream = new Map<string | undefined, Verify[]>();
  for (const v of verifies) byStream.set(v.stream, [...(byStream.get(v.stream) ?? []), v]);
  return [...byStream.values()].map((parts) => {
    const samples = parts.flatMap((p) => (p.sample ? [p.sample] : []));
    const checks = parts.flatMap((p) => p.indexChecks ?? []);
    return {
      ...parts[parts.length - 1]!,
      ...sumVerify(parts),
      ...(samples.length
        ? {
            sample: {
              checked: samples.reduce((sum, s) => sum + s.checked, 0),
              present: samples.reduce((sum, s) => sum + s.present, 0),
              mismatches: samples.reduce((sum, s) => sum + s.mismatches, 0),
              firstMismatches: samples.flatMap((s) => s.firstMismatches).slice(0, 5),
            },
          }
        : {}),
      ...(checks.length ? { indexChecks: checks } : {}),
    };
  });
}

/**
 * A shard numbers its frames 0…k−1 (workload/sharded-source.ts); its k-th frame is the whole run's: synth's block
 * start + k, replay's stripe index + k·n. The merge numbers frames as the unsharded run did, so the ack figures,
 * which follow frames by index, never pair one shard's frame with another's.
 */
export function wholeRunFrame(meta: RunMeta): (k: number) => number {
  const spec = meta.sharding ? { index: meta.sharding.index, count: meta.sharding.count } : undefined;
  if (!spec || spec.count === 1) return (k) => k;
  if (meta.command === 'replay') return (k) => spec.index + k * spec.count;
  const { start } = shardBlock(spec, meta.workload.frames);
  return (k) => start + k;
}

/** A shard's event with its frame numbers the whole run's. */
function withWholeRunFrames(event: RunEvent, frame: (k: number) => number): RunEvent {
  if (event.type === 'frame-sent' || event.type === 'frame-committed')
    return { ...event, index: frame(event.index) };
  if (event.type === 'resume') return { ...event, fromFrame: frame(event.fromFrame) };
  return event;
}

/** Shard `index`'s socket ids moved out of the other shards' way. */
function withDistinctSockets(event: RunEvent, index: number): RunEvent {
  const offset = index * SOCKET_ID_STRIDE;
  if (offset === 0) return event;
  if ('socketId' in event) return { ...event, socketId: event.socketId + offset };
  if (event.type === 'sample' && event.sample.kind === 'tcp') {
    return { ...event, sample: { ...event.sample, socketId: event.sample.socketId + offset } };
  }
  return event;
}

/** Rewrites each shard's events into the whole run's one stream (see the module comment). */
class MergedStream {
  private metaSent = false;
  private startSent = false;
  private readonly phasesSeen = new Map<RunPhase, number>();
  private readonly ended = new Set<number>();
  readonly verifies: Verify[] = [];
  private readonly frames: Map<ShardScan, (k: number) => number>;
  lastT = 0;

  constructor(private readonly shards: ShardScan[]) {
    this.frames = new Map(shards.map((scan) => [scan, wholeRunFrame(scan.meta!)]));
  }

  rewrite(event: RunEvent, shard: ShardScan): RunEvent[] {
    const index = shard.index!;
    if (this.ended.has(index)) return [];
    this.lastT = Math.max(this.lastT, event.t);
    switch (event.type) {
      case 'run-meta':
        if (this.metaSent) return [];
        this.metaSent = true;
        return [{ ...event, meta: this.shards[0]!.meta! }];
      case 'run-start':
        if (this.startSent) return [];
        this.startSent = true;
        return [mergedStart(this.shards, event.t)];
      case 'run-end':
        this.ended.add(index);
        return [];
      case 'verify':
        this.verifies.push(event);
        return [];
      case 'phase':
        return this.phaseReached(event.phase) ? [event] : [];
      case 'warning':
        return [{ ...event, message: `shard ${index}: ${event.message}` }];
      default:
        return [withWholeRunFrames(withDistinctSockets(event, index), this.frames.get(shard)!)];
    }
  }

  /** A phase is the whole run's when the last shard that reaches it does (the load ends when every shard's has). */
  private phaseReached(phase: RunPhase): boolean {
    const seen = (this.phasesSeen.get(phase) ?? 0) + 1;
    this.phasesSeen.set(phase, seen);
    return seen === this.shards.filter((scan) => scan.phases.has(phase)).length;
  }

  finish(): RunEvent[] {
    const verifies = mergedVerifies(this.verifies).map((v) => ({ ...v, t: this.lastT }));
    return [...verifies, mergedEnd(this.shards, this.lastT)];
  }
}

/** The shards' events in time order (a file's own order kept; ties go to the lower shard), rewritten as one run. */
export async function* mergeShardEvents(
  shards: ShardScan[],
  open: (scan: ShardScan) => AsyncIterable<RunEvent>,
): AsyncGenerator<RunEvent> {
  const stream = new MergedStream(shards);
  const iterators = shards.map((scan) => open(scan)[Symbol.asyncIterator]());
  const heads = await Promise.all(iterators.map((it) => it.next()));
  for (;;) {
    let pick = -1;
    for (let i = 0; i < heads.length; i++) {
      if (heads[i]!.done) continue;
      if (pick < 0 || heads[i]!.value.t < heads[pick]!.value.t) pick = i;
    }
    if (pick < 0) break;
    const event = heads[pick]!.value as RunEvent;
    heads[pick] = await iterators[pick]!.next();
    yield* stream.rewrite(event, shards[pick]!);
  }
  yield* stream.finish();
}

/** Per-shard figures and the skew between the shards' first frames (and run starts). */
function shardFigures(set: ShardSet): Pick<MergeSummary, 'shards' | 'skew'> {
  const startAts = set.shards.flatMap((s) => s.meta?.sharding?.startAt ?? []);
  const startAt = startAts[0] ?? null;
  const sends = set.shards.flatMap((s) => (s.firstSendAt === undefined ? [] : [s.firstSendAt]));
  const starts = set.shards.flatMap((s) => (s.start ? [s.start.t] : []));
  const origin = startAt ?? (sends.length ? Math.min(...sends) : null);
  const spread = (values: number[]) => (values.length > 1 ? Math.max(...values) - Math.min(...values) : null);
  const shards = set.shards.map((scan): ShardFigures => {
    const result = scan.result()!;
    return {
      index: scan.index!,
      path: scan.path,
      toolNodeName: scan.meta!.toolNodeName,
      outcome: result.outcome,
      exitCode: result.exitCode,
      finished: scan.end !== undefined,
      samplesTarget: scan.meta!.sharding!.samplesTarget,
      sentRecords: result.sent.records,
      committedRecords: result.committed.records,
      sendRecordsPerSec: result.timing.sendRecordsPerSec,
      commitRecordsPerSec: result.timing.commitRecordsPerSec,
      ackP99Ms: result.committed.ackLatencyMs.p99,
      firstSendOffsetMs: scan.firstSendAt === undefined || origin === null ? null : scan.firstSendAt - origin,
    };
  });
  return {
    shards,
    skew: { startAt, firstSendSpreadMs: spread(sends), runStartSpreadMs: spread(starts) },
  };
}

/** The skew warning (seen, never corrected): shards whose first frames went out further apart than SKEW_WARN_MS. */
function skewWarning(merge: MergeSummary): string | undefined {
  const spread = merge.skew.firstSendSpreadMs;
  if (spread === null || spread <= SKEW_WARN_MS) return undefined;
  const latest = merge.shards.reduce((a, b) =>
    (b.firstSendOffsetMs ?? 0) > (a.firstSendOffsetMs ?? 0) ? b : a,
  );
  const after = merge.skew.startAt === null ? '' : ` (${latest.firstSendOffsetMs} ms after --start-at)`;
  return `the shards sent their first frames up to ${spread} ms apart, shard ${latest.index} last${after}: clock skew between their hosts or a late shard; times are not corrected`;
}

/**
 * Two shards that sent the same frame of the whole run first on one stream: they overlap (run with other --frames,
 * or a shard run twice), and the ack figures, which follow frames by index, may pair one shard's ack with another's.
 */
function overlapWarning(shards: ShardScan[]): string | undefined {
  const owner = new Map<string, number>();
  for (const shard of shards) {
    const frame = wholeRunFrame(shard.meta!);
    for (const [stream, local] of shard.firstFrames) {
      const index = frame(local);
      const key = `${stream}#${index}`;
      const other = owner.get(key);
      if (other !== undefined) {
        return `shards ${other} and ${shard.index} both sent frame ${index} first${stream ? ` on ${stream}` : ''}: their frames overlap, so the unacked frames and ack stalls may be wrong`;
      }
      owner.set(key, shard.index!);
    }
  }
  return undefined;
}

/**
 * The merged result: every folded shard's events through one ResultBuilder, then the per-shard figures. An
 * incomplete set gives outcome incomplete, exit 9 and thresholds not evaluated (a partial run judged as whole would
 * mislead); a complete one keeps the worst shard's outcome and judges thresholds on the merged result only.
 */
export async function foldShards(
  set: ShardSet,
  open: (scan: ShardScan) => AsyncIterable<RunEvent>,
  options: {
    rejudge?: { thresholds: string[]; baselines: MetricSource[] };
    onEvent?: (event: RunEvent) => void;
  } = {},
): Promise<RunResult> {
  if (!set.shards.length) throw new Error(`no shard to merge: ${set.problems.join('; ')}`);
  const builder = new ResultBuilder();
  for await (const event of mergeShardEvents(set.shards, open)) {
    builder.sink(event);
    options.onEvent?.(event);
  }
  const result = builder.build(options.rejudge);
  const merge: MergeSummary = {
    runId: set.runId,
    count: set.count,
    complete: set.problems.length === 0,
    missing: set.missing,
    unfinished: set.unfinished,
    problems: set.problems,
    ...shardFigures(set),
  };
  for (const warning of [skewWarning(merge), overlapWarning(set.shards)])
    if (warning) result.warnings.push(warning);
  result.merge = merge;
  if (merge.complete) return result;
  result.outcome = 'incomplete';
  result.exitCode = ExitCode.SHARDS_INCOMPLETE;
  result.error = `incomplete merge: ${set.problems.join('; ')}`;
  const judged = options.rejudge?.thresholds ?? set.shards[0]!.meta!.thresholds;
  result.thresholds = notEvaluated(judged.map(parseThreshold));
  return result;
}
