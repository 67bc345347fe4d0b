/**
 * One stream of timestamped run events. Sessions, samplers and workloads emit; progress, summary, files and
 * thresholds subscribe. Nothing reads a session's state directly (the k6 model: reporters are sinks).
 */

export type ConnectionEvent = 'named' | 'subscribed' | 'streaming' | 'ignored' | 'closed';

export type RunEvent =
  | { type: 'run-start'; t: number; frames: number; records: number; via: 'peer' | 'push'; target: string }
  | {
      type: 'connection';
      t: number;
      socketId: number;
      event: ConnectionEvent;
      remoteNodeName?: string;
      database?: string;
      startTime?: number;
      code?: number;
      reason?: string;
    }
  | { type: 'resume'; t: number; socketId: number; startTime: number; fromFrame: number; attempt: number }
  | {
      type: 'frame-sent';
      t: number;
      socketId: number;
      index: number;
      bytes: number;
      records: number;
      blobs: number;
      blobBytes: number;
      resent: boolean;
    }
  | { type: 'ack'; t: number; socketId: number; sequenceId: number | null }
  | { type: 'frame-committed'; t: number; index: number; records: number; latencyMs: number }
  | {
      type: 'drain-wait';
      t: number;
      socketId: number;
      startedAt: number;
      durationMs: number;
      queuedBytes: number;
    }
  | { type: 'warning'; t: number; message: string }
  | { type: 'phase'; t: number; phase: RunPhase };

export type RunPhase =
  | 'starting-target'
  | 'preparing'
  | 'waiting-for-subscription'
  | 'streaming'
  | 'waiting-for-acks'
  | 'verifying'
  | 'cleaning-up'
  | 'done';

export type RunEventType = RunEvent['type'];
export type EventOf<T extends RunEventType> = Extract<RunEvent, { type: T }>;

/** Omit<> over a union, member by member. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type RunEventInput = DistributiveOmit<RunEvent, 't'>;

export type Sink = (event: RunEvent) => void;

export class MetricsBus {
  private readonly sinks = new Set<Sink>();

  subscribe(sink: Sink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  /** Stamps the event with the current time and hands it to every sink. A failing sink does not stop the run. */
  emit(event: RunEventInput): void {
    const stamped = { ...event, t: Date.now() } as RunEvent;
    for (const sink of this.sinks) {
      try {
        sink(stamped);
      } catch {
        // Reporters must never break a run.
      }
    }
  }
}
