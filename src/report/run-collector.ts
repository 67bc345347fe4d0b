/** Folds the event stream into the numbers of a run's result: what was sent, what was committed, how fast. */
import type { LatencySummary } from '../common/latency-histogram.js';
import { LatencyHistogram } from '../common/latency-histogram.js';
import type { BlobFaultKind, RunEvent } from '../events/schema.js';

export interface SentTotals {
  frames: number;
  records: number;
  bytes: number;
  blobs: number;
  blobBytes: number;
  /** Frames sent again after a reconnect. */
  resentFrames: number;
  /** Blobs sent wrong on purpose (--blob-faults), by kind; absent when none were. */
  blobFaults?: Partial<Record<BlobFaultKind, number>>;
}

export interface CommittedTotals {
  frames: number;
  records: number;
  acks: number;
  ackLatencyMs: LatencySummary;
}

export interface DrainTotals {
  waits: number;
  totalMs: number;
  longestMs: number;
}

export interface ConnectionRecord {
  socketId: number;
  remoteNodeName?: string;
  database?: string;
  role: 'loaded' | 'ignored' | 'other';
  openedAt: number;
  closedAt?: number;
  closeCode?: number;
  closeReason?: string;
  startTime?: number;
}

export class RunCollector {
  readonly sent: SentTotals = { frames: 0, records: 0, bytes: 0, blobs: 0, blobBytes: 0, resentFrames: 0 };
  private committedFrames = 0;
  private committedRecords = 0;
  private acks = 0;
  private readonly latency = new LatencyHistogram();
  readonly drain: DrainTotals = { waits: 0, totalMs: 0, longestMs: 0 };
  readonly connections = new Map<number, ConnectionRecord>();
  readonly warnings: string[] = [];
  resumes = 0;
  /** Replay: the most a frame went out after its scheduled time (ms). */
  behindScheduleMs?: number;
  firstSendAt?: number;
  lastSendAt?: number;
  lastCommitAt?: number;

  readonly sink = (event: RunEvent): void => {
    switch (event.type) {
      case 'frame-sent':
        this.firstSendAt ??= event.t;
        this.lastSendAt = event.t;
        this.sent.frames++;
        this.sent.records += event.records;
        this.sent.bytes += event.bytes;
        this.sent.blobs += event.blobs;
        this.sent.blobBytes += event.blobBytes;
        if (event.resent) this.sent.resentFrames++;
        for (const [kind, count] of Object.entries(event.blobFaults ?? {}) as Array<
          [BlobFaultKind, number]
        >) {
          this.sent.blobFaults ??= {};
          this.sent.blobFaults[kind] = (this.sent.blobFaults[kind] ?? 0) + count;
        }
        if (event.lateMs !== undefined)
          this.behindScheduleMs = Math.max(this.behindScheduleMs ?? 0, event.lateMs);
        break;
      case 'ack':
        this.acks++;
        break;
      case 'frame-committed':
        this.committedFrames++;
        this.committedRecords += event.records;
        this.lastCommitAt = event.t;
        this.latency.recordMs(event.latencyMs);
        break;
      case 'drain-wait':
        this.drain.waits++;
        this.drain.totalMs += event.durationMs;
        this.drain.longestMs = Math.max(this.drain.longestMs, event.durationMs);
        break;
      case 'resume':
        this.resumes++;
        break;
      case 'connection':
        this.onConnection(event);
        break;
      case 'warning':
        this.warnings.push(event.message);
        break;
      default:
        break;
    }
  };

  private onConnection(event: Extract<RunEvent, { type: 'connection' }>): void {
    const record = this.connections.get(event.socketId) ?? {
      socketId: event.socketId,
      role: 'other' as const,
      openedAt: event.t,
    };
    if (event.remoteNodeName) record.remoteNodeName = event.remoteNodeName;
    if (event.database) record.database = event.database;
    if (event.event === 'streaming') {
      record.role = 'loaded';
      record.startTime = event.startTime;
    }
    if (event.event === 'ignored') record.role = 'ignored';
    if (event.event === 'closed') {
      record.closedAt = event.t;
      record.closeCode = event.code;
      record.closeReason = event.reason;
    }
    this.connections.set(event.socketId, record);
  }

  /** Other cluster members that dialed in and were answered but not loaded. */
  get otherMembers(): string[] {
    const names = new Set<string>();
    for (const record of this.connections.values()) {
      if (record.role === 'ignored' && record.remoteNodeName) names.add(record.remoteNodeName);
    }
    return [...names];
  }

  get committed(): CommittedTotals {
    return {
      frames: this.committedFrames,
      records: this.committedRecords,
      acks: this.acks,
      ackLatencyMs: this.latency.summary(),
    };
  }
}
