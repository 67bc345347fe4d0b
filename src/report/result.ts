/**
 * A run's result is a fold over its event stream: the same events give the same result, live or rebuilt from a
 * samples file by `harper-replay report`.
 */
import { ExitCode } from '../common/errors.js';
import type {
  CleanupReport,
  IndexCheck,
  ReplayMeta,
  RunEvent,
  RunMeta,
  RunOutcome,
  ShapeSummary,
  TargetInfo,
  ValueSample,
} from '../events/schema.js';
import { AckAnalysis, type AckSummary } from './ack-analysis.js';
import {
  EventRouter,
  MemberBreakdown,
  type MemberSummary,
  StreamBreakdown,
  type StreamSummary,
  sumVerify,
  type VerifyTotals,
} from './breakdown.js';
import type { Comparison } from './comparison.js';
import { DependencyWaitAnalysis, type DependencyWaitSummary } from './dependency-waits.js';
import { HerdAnalysis, type HerdSummary } from './herd-analysis.js';
import { MemoryAnalysis, type MemorySummary } from './memory-analysis.js';
import type { MergeSummary } from './merge-summary.js';
import { type ResultWorkload, runTotals } from './open-ended.js';
import { PauseAnalysis, type PauseSummary } from './pause-analysis.js';
import { RemoteStateAnalysis, type RemoteStateSummary } from './remote-state.js';
import type { PrometheusStats } from './remote-write.js';
import { RunCollector } from './run-collector.js';
import { ScheduleAnalysis, type ScheduleSummary } from './schedule-analysis.js';
import {
  evaluateThresholds,
  type MetricSource,
  notEvaluated,
  parseThreshold,
  type ThresholdVerdict,
} from './thresholds.js';
import { TrendAnalysis, type TrendSummary } from './trend-analysis.js';
import { WorkerAnalysis, type WorkerSummary } from './worker-analysis.js';

/** Sums over a fan-out's members (a peak RSS sum only when every member reported one). */
function memberTotals(
  members: NonNullable<RunResult['members']>,
): NonNullable<RunResult['cluster']['totals']> {
  return {
    members: members.length,
    committedRecords: members.reduce((sum, m) => sum + m.committed.records, 0),
    peakRssSum: members.some((m) => m.memory.peakRss === null)
      ? null
      : members.reduce((sum, m) => sum + (m.memory.peakRss ?? 0), 0),
    pausesCount: members.reduce((sum, m) => sum + m.pauses.count, 0),
    pausedMs: members.reduce((sum, m) => sum + m.pauses.totalMs, 0),
    workerDeaths: members.reduce((sum, m) => sum + m.workers.deaths, 0),
  };
}

/**
 * Runs that never reached their target, or a shard ready too late that never loaded it: their thresholds are not
 * evaluated, and the exit code says why.
 */
const NEVER_REACHED = new Set<number>([
  ExitCode.UNREACHABLE,
  ExitCode.AUTH_FAILED,
  ExitCode.TLS_FAILED,
  ExitCode.READY_TOO_LATE,
]);

export interface RunResult {
  command: RunMeta['command'];
  outcome: RunOutcome;
  exitCode: number;
  error?: string;
  workload: ResultWorkload;
  /** A shard of a sharded run (--shard): which one, of which run, and whether it sampled the target. */
  sharding?: NonNullable<RunMeta['sharding']>;
  target: Partial<TargetInfo> & {
    via: RunMeta['via'];
    database: string;
    /** Every database loaded (more than one with --databases). */
    databases: string[];
    table: string;
    embedded: boolean;
  };
  sent: RunCollector['sent'];
  committed: RunCollector['committed'] & { allFrames: boolean };
  /** Frames never acked, and how long acks stalled with frames outstanding. */
  acks: AckSummary;
  /** synth --mix: frames held for the ack of the frame whose ids they rewrite (zeros when none were). */
  dependencyWaits: DependencyWaitSummary;
  verify: {
    skipped: boolean;
    expectedRecords: number;
    targetRecords: number | null;
    ok: boolean | null;
    /** synth --mix: a sample of ids' values compared with the expected state (summed over streams). */
    sample?: ValueSample;
    /** synth --template/--like: a search by value on an indexed attribute per table (every stream's). */
    indexChecks?: IndexCheck[];
  };
  timing: {
    startedAt: number | null;
    durationMs: number;
    sendMs: number | null;
    commitMs: number | null;
    sendRecordsPerSec: number | null;
    sendMBPerSec: number | null;
    commitRecordsPerSec: number | null;
  };
  flow: RunCollector['drain'];
  /** The target's stalls, memory and workers (other members: `members`). */
  pauses: PauseSummary;
  memory: MemorySummary;
  workers: WorkerSummary;
  /** Each burst of dropped streams (a worker death) and how the streams re-subscribed after it. */
  herd: HerdSummary;
  /** The liveness probe after the last frame (--liveness, on with --blob-faults): null when none was sent. */
  liveness: { probes: number; committed: number; maxMs: number | null } | null;
  /** One entry per stream: a member's subscription to one database (one in a plain run). */
  streams: StreamSummary[];
  /** --fan-out: every loaded member, the target first, with its own memory, stalls and commits. */
  members?: MemberSummary[];
  cluster: {
    /** Members that dialed in and were answered but not loaded. */
    otherMembers: string[];
    /** --fan-out: totals over the loaded members. */
    totals?: {
      members: number;
      committedRecords: number;
      /** Sum of the members' peak RSS (null if any member was not sampled). */
      peakRssSum: number | null;
      pausesCount: number;
      pausedMs: number;
      workerDeaths: number;
    };
  };
  cleanup: CleanupReport;
  thresholds: ThresholdVerdict[];
  warnings: string[];
  /** Replay runs only. */
  replay?: ReplayMeta & { behindScheduleMs: number | null };
  /** A scheduled run (--stages, --duration, synth --rate): achieved vs intended per stage; null otherwise. */
  schedule: ScheduleSummary | null;
  /** Soak trends: memory slopes over the load (MiB/min, r²) and ack latency by time window. */
  trends: TrendSummary;
  /** The target as Harper reports it: version, close causes, cluster_status links. */
  remote: RemoteStateSummary;
  /** `report --baseline`: this run (and its repetitions) side by side with the baseline, with significance. */
  comparison?: Comparison;
  /** --prometheus-rw: what was pushed, and what failed (a warning, never a failed run). */
  prometheus?: PrometheusStats;
  /** Shaped synth runs (--template, --like): each table's shape, where it came from, whether it was dropped. */
  shapes?: ShapeSummary[];
  /** `report --merge`: the shards folded into this result, each one's own figures, and the skew between them. */
  merge?: MergeSummary;
}

export class ResultBuilder {
  private meta?: RunMeta;
  private target?: TargetInfo;
  /** run-start's totals and its count of streams. */
  private planned = { frames: 0, records: 0, streams: 1 };
  private readonly verified: Array<VerifyTotals & { sample?: ValueSample; indexChecks?: IndexCheck[] }> = [];
  private end?: Extract<RunEvent, { type: 'run-end' }>;
  private firstEventAt?: number;
  private lastEventAt?: number;
  private readonly collector = new RunCollector();
  private pauses?: PauseAnalysis;
  private readonly memory = new MemoryAnalysis();
  private readonly workers = new WorkerAnalysis();
  private readonly herd = new HerdAnalysis();
  private readonly acks = new AckAnalysis();
  private readonly dependencyWaits = new DependencyWaitAnalysis();
  private readonly probes: Array<{ ok: boolean; latencyMs: number | null }> = [];
  private readonly pending: RunEvent[] = [];
  private readonly router = new EventRouter();
  private readonly streams = new StreamBreakdown();
  private readonly remote = new RemoteStateAnalysis();
  private members?: MemberBreakdown;
  private schedule?: ScheduleAnalysis;
  private readonly trends = new TrendAnalysis();
  private shapes?: ShapeSummary[];
  private readonly dropped = new Set<string>();

  /** The herd so far (a run's stop rule reads it while the run goes on). */
  herdDeaths(): HerdSummary['deaths'] {
    return this.herd.summary().deaths;
  }

  readonly sink = (event: RunEvent): void => {
    // The run is what happened up to its end: sockets the cleanup closed afterwards do not change it (and the
    // samples file may end before their events arrive, so `report` could not see them).
    if (this.end) return;
    this.firstEventAt ??= event.t;
    this.lastEventAt = event.t;
    switch (event.type) {
      case 'run-meta':
        this.meta = event.meta;
        this.pauses = new PauseAnalysis(event.meta.pauseThresholdMs, event.meta.blockedAfterMs);
        if (event.meta.workload.schedule) {
          this.schedule = new ScheduleAnalysis(
            event.meta.workload.schedule,
            event.meta.workload.recordsPerFrame,
          );
        }
        for (const held of this.pending.splice(0)) this.pauses.sink(held);
        if (event.meta.fanOut) {
          this.members = new MemberBreakdown(event.meta.pauseThresholdMs, event.meta.blockedAfterMs);
        }
        break;
      case 'run-start':
        this.target = event.target;
        this.planned = { frames: event.frames, records: event.records, streams: event.streams?.length || 1 };
        break;
      case 'verify':
        this.verified.push(event);
        break;
      case 'liveness':
        this.probes.push({ ok: event.ok, latencyMs: event.latencyMs });
        break;
      case 'run-end':
        this.end = event;
        break;
      case 'shapes':
        this.shapes = event.tables;
        break;
      case 'scratch-tables-dropped':
        for (const table of event.tables) this.dropped.add(table.slice(table.indexOf('.') + 1));
        break;
      default:
        break;
    }
    this.router.learn(event);
    this.collector.sink(event);
    this.remote.sink(event);
    const stream = this.router.streamOf(event);
    this.streams.sink(event, stream);
    this.herd.sink(event, stream);
    this.acks.sink(event, stream);
    this.dependencyWaits.sink(event);
    this.schedule?.sink(event);
    this.trends.sink(event);
    const member = this.router.memberOf(event);
    this.members?.sink(event, member);
    // The target's own analyses see run-wide events and the target's, not other members'.
    if (member !== undefined && member !== this.router.targetName) return;
    this.memory.sink(event);
    this.workers.sink(event);
    if (this.pauses) this.pauses.sink(event);
    else this.pending.push(event);
  };

  private livenessSummary(): RunResult['liveness'] {
    if (!this.probes.length) return null;
    const committed = this.probes.filter((p) => p.ok);
    return {
      probes: this.probes.length,
      committed: committed.length,
      // Only when every probe was committed: one that was not has no latency to speak of.
      maxMs:
        committed.length === this.probes.length ? Math.max(...committed.map((p) => p.latencyMs ?? 0)) : null,
    };
  }

  /**
   * The result. `rejudge` (report --threshold / --baseline): judge these thresholds instead of the run's own, delta
   * thresholds against the baselines; the exit code is the run's own before its thresholds, then 99 on a breach.
   */
  build(rejudge?: {
    thresholds: string[];
    baselines: MetricSource[];
    repetitions?: MetricSource[];
  }): RunResult {
    const meta = this.meta;
    if (!meta) throw new Error('no run-meta event: not a harper-replay run');
    const collector = this.collector;
    const committed = collector.committed;
    const firstSend = collector.firstSendAt;
    const sendMs = firstSend && collector.lastSendAt ? collector.lastSendAt - firstSend : null;
    const commitMs = firstSend && collector.lastCommitAt ? collector.lastCommitAt - firstSend : null;
    const perSec = (count: number, ms: number | null) =>
      ms && ms > 0 ? Math.round((count * 1000) / ms) : null;
    const end = this.end;
    const totals = runTotals(meta, this.planned, collector.sent);
    const members = this.members?.summary(this.lastEventAt);
    const result: RunResult = {
      command: meta.command,
      outcome: end?.outcome ?? 'interrupted',
      exitCode: end?.exitCode ?? ExitCode.INTERRUPTED,
      ...(end?.error ? { error: end.error } : end ? {} : { error: 'the run ended without a run-end event' }),
      workload: totals.workload,
      ...(meta.sharding ? { sharding: meta.sharding } : {}),
      target: {
        ...this.target,
        embedded: this.target?.embedded ?? false,
        via: meta.via,
        database: meta.database,
        databases: meta.databases ?? [meta.database],
        table: meta.table,
      },
      remote: this.remote.summary(),
      sent: collector.sent,
      committed: { ...committed, allFrames: committed.frames >= totals.frames },
      acks: this.acks.summary(end?.t ?? this.lastEventAt),
      dependencyWaits: this.dependencyWaits.summary(),
      verify: this.verified.length
        ? {
            skipped: false,
            ...sumVerify(this.verified),
            ...sumSamples(this.verified),
            ...indexChecksOf(this.verified),
          }
        : { skipped: true, expectedRecords: totals.records, targetRecords: null, ok: null },
      timing: {
        startedAt: this.firstEventAt ?? null,
        durationMs: (this.lastEventAt ?? 0) - (this.firstEventAt ?? 0),
        sendMs,
        commitMs,
        sendRecordsPerSec: perSec(collector.sent.records, sendMs),
        sendMBPerSec:
          sendMs && sendMs > 0 ? Math.round((collector.sent.bytes / 1e3 / sendMs) * 100) / 100 : null,
        commitRecordsPerSec: perSec(committed.records, commitMs),
      },
      flow: collector.drain,
      pauses: this.pauses!.summary(this.lastEventAt),
      memory: this.memory.summary(),
      workers: this.workers.summary(),
      herd: this.herd.summary(),
      liveness: this.livenessSummary(),
      streams: this.streams.summary(),
      ...(members ? { members } : {}),
      cluster: {
        otherMembers: collector.otherMembers,
        ...(members ? { totals: memberTotals(members) } : {}),
      },
      cleanup: end?.cleanup ?? { removedFromTarget: null, targetStopped: false },
      thresholds: [],
      warnings: collector.warnings,
      schedule: this.schedule?.summary() ?? null,
      trends: this.trends.summary(),
      ...(meta.replay
        ? { replay: { ...meta.replay, behindScheduleMs: collector.behindScheduleMs ?? null } }
        : {}),
      ...(this.shapes
        ? { shapes: this.shapes.map((s) => (s.scratch ? { ...s, dropped: this.dropped.has(s.table) } : s)) }
        : {}),
    };
    const thresholds = (rejudge?.thresholds ?? meta.thresholds).map(parseThreshold);
    result.thresholds = NEVER_REACHED.has(result.exitCode)
      ? notEvaluated(thresholds)
      : evaluateThresholds(thresholds, result, rejudge?.baselines, rejudge?.repetitions);
    // A breach exits 99 (as k6 does) unless the run was interrupted: then 130 (or 129) says more.
    const interrupted = result.exitCode === ExitCode.INTERRUPTED || result.exitCode === ExitCode.HANGUP;
    if (result.thresholds.some((t) => t.ok === false) && !interrupted) {
      result.exitCode = ExitCode.THRESHOLD_BREACHED;
    }
    return result;
  }
}

/** The index checks of every stream (absent when none ran). */
function indexChecksOf(parts: ReadonlyArray<{ indexChecks?: IndexCheck[] }>): { indexChecks?: IndexCheck[] } {
  const checks = parts.flatMap((p) => p.indexChecks ?? []);
  return checks.length ? { indexChecks: checks } : {};
}

/** The value samples of every stream as one (absent when no stream checked values). */
function sumSamples(parts: ReadonlyArray<{ sample?: ValueSample }>): { sample?: ValueSample } {
  const samples = parts.flatMap((p) => (p.sample ? [p.sample] : []));
  if (!samples.length) return {};
  return {
    sample: {
      checked: samples.reduce((sum, s) => sum + s.checked, 0),
      present: samples.reduce((sum, s) => sum + s.present, 0),
      mismatches: samples.reduce((sum, s) => sum + s.mismatches, 0),
      firstMismatches: samples.flatMap((s) => s.firstMismatches).slice(0, 5),
    },
  };
}
