/**
 * Per-stream and per-member views of one event stream, for runs that load several databases (--databases) or
 * several cluster members (--fan-out) at once. The router learns which member and stream each socket carries from
 * the events themselves, so the breakdown is a fold like the rest of the result (`report` rebuilds it).
 */
import type { LatencySummary } from '../common/latency-histogram.js';
import type { MemberInfo, RunEvent, StreamPlan } from '../events/schema.js';
import { MemoryAnalysis, type MemorySummary } from './memory-analysis.js';
import { PauseAnalysis, type PauseSummary } from './pause-analysis.js';
import { RunCollector } from './run-collector.js';
import { WorkerAnalysis, type WorkerSummary } from './worker-analysis.js';

/** Which member and stream an event concerns; undefined = the whole run (phases, frames of every stream). */
export class EventRouter {
  private readonly streamMember = new Map<string, string>();
  private readonly socketMember = new Map<number, string>();
  private readonly socketStream = new Map<number, string>();
  targetName?: string;

  learn(event: RunEvent): void {
    if (event.type === 'run-start') {
      this.targetName = event.target.nodeName;
      for (const plan of event.streams ?? []) this.streamMember.set(plan.stream, plan.member);
    } else if (event.type === 'connection') {
      if (event.remoteNodeName) this.socketMember.set(event.socketId, event.remoteNodeName);
      if (event.stream) this.socketStream.set(event.socketId, event.stream);
    }
  }

  streamOf(event: RunEvent): string | undefined {
    switch (event.type) {
      case 'frame-sent':
      case 'ack':
      case 'frame-committed':
      case 'resume':
      case 'verify':
        return event.stream;
      case 'drain-wait':
      case 'connection':
        return this.socketStream.get(event.socketId);
      case 'sample':
        return event.sample.kind === 'tcp' ? this.socketStream.get(event.sample.socketId) : undefined;
      default:
        return undefined;
    }
  }

  /** The member an event measures or belongs to; undefined for run-wide events. */
  memberOf(event: RunEvent): string | undefined {
    switch (event.type) {
      case 'sample':
        if (event.member !== undefined) return event.member;
        return event.sample.kind === 'tcp'
          ? (this.socketMember.get(event.sample.socketId) ?? this.targetName)
          : this.targetName;
      case 'log-match':
      case 'target-exited':
        return event.member ?? this.targetName;
      case 'drain-wait':
      case 'connection':
        return this.socketMember.get(event.socketId) ?? this.targetName;
      case 'frame-sent':
      case 'ack':
      case 'frame-committed':
      case 'resume':
      case 'verify': {
        const stream = this.streamOf(event);
        return stream === undefined ? undefined : this.streamMember.get(stream);
      }
      default:
        return undefined;
    }
  }
}

export interface VerifyTotals {
  expectedRecords: number;
  targetRecords: number | null;
  ok: boolean | null;
}

/** Sums per-stream verifications: any null leaves the total unknown, any false fails it. */
export function sumVerify(parts: VerifyTotals[]): VerifyTotals {
  const expectedRecords = parts.reduce((sum, p) => sum + p.expectedRecords, 0);
  const targetRecords = parts.some((p) => p.targetRecords === null)
    ? null
    : parts.reduce((sum, p) => sum + (p.targetRecords ?? 0), 0);
  const ok = parts.some((p) => p.ok === false) ? false : parts.some((p) => p.ok === null) ? null : true;
  return { expectedRecords, targetRecords, ok };
}

export interface StreamSummary extends StreamPlan {
  sent: { frames: number; records: number; bytes: number; resentFrames: number };
  committed: { frames: number; records: number; acks: number; ackLatencyMs: LatencySummary };
  resumes: number;
  drainWaits: { waits: number; totalMs: number };
  verify: VerifyTotals | null;
}

export class StreamBreakdown {
  private readonly plans: StreamPlan[] = [];
  private readonly collectors = new Map<string, RunCollector>();
  private readonly verified = new Map<string, VerifyTotals>();

  sink(event: RunEvent, stream: string | undefined): void {
    if (event.type === 'run-start') {
      for (const plan of event.streams ?? []) {
        this.plans.push(plan);
        this.collectors.set(plan.stream, new RunCollector());
      }
      return;
    }
    if (stream === undefined) return;
    if (event.type === 'verify') {
      this.verified.set(stream, event);
      return;
    }
    this.collectors.get(stream)?.sink(event);
  }

  summary(): StreamSummary[] {
    return this.plans.map((plan) => {
      const collector = this.collectors.get(plan.stream)!;
      const verify = this.verified.get(plan.stream);
      return {
        ...plan,
        sent: {
          frames: collector.sent.frames,
          records: collector.sent.records,
          bytes: collector.sent.bytes,
          resentFrames: collector.sent.resentFrames,
        },
        committed: collector.committed,
        resumes: collector.resumes,
        drainWaits: { waits: collector.drain.waits, totalMs: collector.drain.totalMs },
        verify: verify
          ? { expectedRecords: verify.expectedRecords, targetRecords: verify.targetRecords, ok: verify.ok }
          : null,
      };
    });
  }
}

export interface MemberSummary extends MemberInfo {
  streams: string[];
  committed: { frames: number; records: number; ackLatencyMs: LatencySummary };
  memory: MemorySummary;
  pauses: PauseSummary;
  workers: WorkerSummary;
}

interface MemberFold {
  info: MemberInfo;
  collector: RunCollector;
  memory: MemoryAnalysis;
  pauses: PauseAnalysis;
  workers: WorkerAnalysis;
}

/** One fold of memory, stalls, workers and commits per loaded member (--fan-out). */
export class MemberBreakdown {
  private readonly folds = new Map<string, MemberFold>();
  private streams: StreamPlan[] = [];

  constructor(
    private readonly pauseThresholdMs: number,
    private readonly blockedAfterMs: number,
  ) {}

  sink(event: RunEvent, member: string | undefined): void {
    if (event.type === 'run-start') {
      this.streams = event.streams ?? [];
      for (const info of event.members ?? []) {
        this.folds.set(info.nodeName, {
          info,
          collector: new RunCollector(),
          memory: new MemoryAnalysis(),
          pauses: new PauseAnalysis(this.pauseThresholdMs, this.blockedAfterMs),
          workers: new WorkerAnalysis(),
        });
      }
    }
    for (const [name, fold] of this.folds) {
      if (member !== undefined && member !== name) continue;
      // Run-wide events (phases, run-start) reach every member; the collector counts only the member's own.
      if (member === name) fold.collector.sink(event);
      fold.memory.sink(event);
      fold.pauses.sink(event);
      fold.workers.sink(event);
    }
  }

  summary(endedAt?: number): MemberSummary[] {
    return [...this.folds.values()].map((fold) => ({
      ...fold.info,
      streams: this.streams.filter((s) => s.member === fold.info.nodeName).map((s) => s.stream),
      committed: {
        frames: fold.collector.committed.frames,
        records: fold.collector.committed.records,
        ackLatencyMs: fold.collector.committed.ackLatencyMs,
      },
      memory: fold.memory.summary(),
      pauses: fold.pauses.summary(endedAt),
      workers: fold.workers.summary(),
    }));
  }
}
