/**
 * One stream of timestamped run events. Sessions, samplers and workloads emit; progress, summary, files and
 * thresholds subscribe. Nothing reads a session's state directly (the k6 model: reporters are sinks).
 */
import type { RunEvent } from './schema.js';

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
