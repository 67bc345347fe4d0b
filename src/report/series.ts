/**
 * Time series for charts, folded from the event stream into fixed bins (memory stays bounded by run length / bin,
 * not by frames or samples; ack latencies by value, in a bounded distribution).
 */
import type { ClusterLink, RunEvent } from '../events/schema.js';
import { type LatencyBars, LatencyDistribution } from './latency-distribution.js';
import { linkName } from './remote-state.js';

export interface Series {
  /** Epoch ms of bin 0. */
  origin: number;
  binMs: number;
  /** Per bin: max target RSS from /proc (bytes), or null. */
  procRss: Array<number | null>;
  /** system_information answers: time (ms from origin), RSS, and worker heap by thread id. */
  sysinfo: Array<{
    t: number;
    rss: number | null;
    heap: Record<string, number>;
    external: Record<string, number>;
  }>;
  /** Per bin: records sent and committed. */
  sentRecords: number[];
  committedRecords: number[];
  /** Committed frames by ack latency (ms), in equal-width bars: bounded, whatever the frame count. */
  ackLatency: LatencyBars;
  /** When the first frame was sent (ms from origin). */
  firstSendMs: number | null;
  /** cluster_status answers, per replication link (named as in the result's remote.clusterStatus.links). */
  clusterLinks: ClusterLinkSeries[];
  /**
   * --fan-out: every loaded member (the target first), its own system_information answers and its committed
   * records per bin. Absent in single-target runs.
   */
  members?: MemberSeries[];
}

export interface ClusterLinkSeries {
  link: string;
  /**
   * Per answer: time (ms from origin), backPressurePercent, and how old lastReceivedVersion (a Harper timestamp)
   * was when the answer was requested (ms; it also grows while nothing is sent). null: the answer lacked the field.
   */
  points: Array<{ t: number; backPressurePercent: number | null; versionAgeMs: number | null }>;
}

export interface MemberSeries {
  nodeName: string;
  sampled: boolean;
  sysinfo: Series['sysinfo'];
  committedRecords: number[];
}

export class SeriesCollector {
  private origin?: number;
  private firstSend?: number;
  private readonly procRss: Array<number | null> = [];
  private readonly sysinfo: Series['sysinfo'] = [];
  private readonly sent: number[] = [];
  private readonly committed: number[] = [];
  private readonly latencies = new LatencyDistribution();
  private readonly clusterLinks = new Map<string, ClusterLinkSeries>();
  /** --fan-out only: per member, in run-start order. */
  private members?: Map<string, MemberSeries>;
  private readonly memberOfStream = new Map<string, string>();
  private targetName?: string;

  constructor(readonly binMs = 100) {}

  private bin(t: number): number {
    this.origin ??= t;
    return Math.max(0, Math.floor((t - this.origin) / this.binMs));
  }

  private static add(list: number[], index: number, value: number): void {
    while (list.length <= index) list.push(0);
    list[index]! += value;
  }

  readonly sink = (event: RunEvent): void => {
    // The time axis starts when the target is ready (run-start); nothing is sampled before.
    if (event.type === 'run-start') {
      this.origin ??= event.t;
      if (event.members) this.learnMembers(event);
    }
    if (this.origin === undefined) return;
    if (event.type === 'frame-sent') {
      this.firstSend ??= event.t;
      SeriesCollector.add(this.sent, this.bin(event.t), event.records);
    } else if (event.type === 'frame-committed') {
      SeriesCollector.add(this.committed, this.bin(event.t), event.records);
      this.latencies.record(event.latencyMs);
      const member = this.members?.get(this.memberOfStream.get(event.stream ?? '') ?? '');
      if (member) SeriesCollector.add(member.committedRecords, this.bin(event.t), event.records);
    } else if (event.type === 'sample') {
      const sample = event.sample;
      const index = this.bin(event.t);
      if (sample.kind === 'proc') {
        while (this.procRss.length <= index) this.procRss.push(null);
        this.procRss[index] = Math.max(this.procRss[index] ?? 0, sample.rss);
      } else if (sample.kind === 'sysinfo') {
        const heap: Record<string, number> = {};
        const external: Record<string, number> = {};
        for (const thread of sample.threads) {
          if (thread.heapUsed !== undefined) heap[thread.threadId] = thread.heapUsed;
          if (thread.externalMemory !== undefined) external[thread.threadId] = thread.externalMemory;
        }
        const point = { t: event.t - this.origin!, rss: sample.rss, heap, external };
        // Another member's answers belong to that member only: the target's charts stay the target's.
        if (event.member === undefined) this.sysinfo.push(point);
        const member = this.members?.get(event.member ?? this.targetName ?? '');
        member?.sysinfo.push(point);
      } else if (sample.kind === 'cluster-status') {
        for (const link of sample.links) this.noteLink(link, event.member, event.t, sample.requestedAt);
      }
    }
  };

  private noteLink(link: ClusterLink, member: string | undefined, t: number, requestedAt: number): void {
    const name = linkName(link, member);
    const series = this.clusterLinks.get(name) ?? { link: name, points: [] };
    series.points.push({
      t: t - this.origin!,
      backPressurePercent: link.backPressurePercent ?? null,
      versionAgeMs: link.lastReceivedVersion === undefined ? null : requestedAt - link.lastReceivedVersion,
    });
    this.clusterLinks.set(name, series);
  }

  private learnMembers(event: Extract<RunEvent, { type: 'run-start' }>): void {
    this.targetName = event.target.nodeName;
    this.members = new Map(
      (event.members ?? []).map((m) => [
        m.nodeName,
        { nodeName: m.nodeName, sampled: m.sampled, sysinfo: [], committedRecords: [] },
      ]),
    );
    for (const plan of event.streams ?? []) this.memberOfStream.set(plan.stream, plan.member);
  }

  series(): Series {
    const origin = this.origin ?? 0;
    return {
      origin,
      binMs: this.binMs,
      procRss: this.procRss,
      sysinfo: this.sysinfo,
      sentRecords: this.sent,
      committedRecords: this.committed,
      ackLatency: this.latencies.bars(),
      firstSendMs: this.firstSend === undefined ? null : this.firstSend - origin,
      clusterLinks: [...this.clusterLinks.values()],
      ...(this.members ? { members: [...this.members.values()] } : {}),
    };
  }
}
