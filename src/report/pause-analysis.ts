/**
 * Stall episodes: intervals in which the tool had data for the target and the target consumed none.
 *
 * Local target: from the kernel queues of both ends of each loaded connection (episodes are per connection). A sample is "stalled" when bytes wait
 * in the target's receive queue and neither that queue, the tool's send queue nor the tool's own buffer shrank since
 * the previous sample. Remote target: the tool's drain waits are all there is.
 *
 * Cause: a 4.7 receiver that paused (ws.pause) and one whose event loop is busy decoding a huge frame look the same
 * from the socket. The probe tells them apart: during a pause the target still answers the operations API promptly
 * (flow control); while its event loop is blocked it does not (the PR #147 failure).
 */
import type { RunEvent, Sample } from '../events/schema.js';

export type StallCause = 'flow-control' | 'blocked';

export interface StallEpisode {
  /** Epoch ms of the last progress seen before the stall. */
  startedAt: number;
  durationMs: number;
  /** Most bytes waiting (tool buffer + both kernel queues, or the tool's queue for drain waits). */
  bytesQueued: number;
  cause: StallCause;
  /** Share of the episode during which the target did not answer the probe within `blockedAfterMs`. */
  blockedFraction: number;
  source: 'kernel' | 'drain';
}

export interface PauseSummary {
  count: number;
  /** Summed over connections: with several streams it can exceed the run's wall time. */
  totalMs: number;
  /** Wall time during which at least one connection was stalled (the episodes' union). */
  wallMs: number;
  longestMs: number;
  flowControlMs: number;
  blockedMs: number;
  /** The target's own pause lines ("Commit backlog causing replication back-pressure"); null if its log level hides them. */
  targetLogged: number | null;
  targetResumes: number | null;
  source: 'kernel' | 'drain' | 'none';
  thresholdMs: number;
  blockedAfterMs: number;
  episodes: StallEpisode[];
}

export type TcpSample = Extract<Sample, { kind: 'tcp' }>;

/**
 * A connection is stalled between two kernel-queue samples when bytes wait in the target's receive queue and no
 * queue on the way (the tool's buffer, its send queue, the target's receive queue) went down: nothing was read.
 */
export function isStalled(previous: TcpSample, sample: TcpSample): boolean {
  return (
    sample.targetRxQueue > 0 &&
    sample.targetRxQueue >= previous.targetRxQueue &&
    sample.toolTxQueue >= previous.toolTxQueue &&
    sample.toolBuffered >= previous.toolBuffered
  );
}
type Probe = Extract<Sample, { kind: 'probe' }>;

interface OpenEpisode {
  startedAt: number;
  lastStalledAt: number;
  bytesQueued: number;
}

const STEP_MS = 10;

export class PauseAnalysis {
  private readonly raw: Array<Omit<StallEpisode, 'cause' | 'blockedFraction'>> = [];
  private readonly drainWaits: Array<Omit<StallEpisode, 'cause' | 'blockedFraction'>> = [];
  private readonly probes: Probe[] = [];
  /** Per loaded connection (several when many databases or members are loaded at once). */
  private readonly previous = new Map<number, TcpSample & { t: number }>();
  private readonly open = new Map<number, OpenEpisode>();
  private kernelSamples = 0;
  private logPauses = 0;
  private logResumes = 0;
  private loggingLevel?: string;

  constructor(
    readonly thresholdMs: number,
    readonly blockedAfterMs: number,
  ) {}

  readonly sink = (event: RunEvent): void => {
    if (event.type === 'run-start') this.loggingLevel = event.target.loggingLevel;
    else if (event.type === 'connection' && event.event === 'closed') {
      // A connection that closes while stalled ends its episode there (no sample will ever show progress).
      const open = this.open.get(event.socketId);
      if (open) this.close(event.socketId, Math.max(event.t, open.lastStalledAt));
      this.previous.delete(event.socketId);
    } else if (event.type === 'drain-wait') {
      if (event.durationMs > this.thresholdMs) {
        this.drainWaits.push({
          startedAt: event.startedAt,
          durationMs: event.durationMs,
          bytesQueued: event.queuedBytes,
          source: 'drain',
        });
      }
    } else if (event.type === 'log-match') {
      if (event.kind === 'pause') this.logPauses++;
      if (event.kind === 'resume') this.logResumes++;
    } else if (event.type === 'sample') {
      if (event.sample.kind === 'tcp') this.onTcp({ ...event.sample, t: event.t });
      else if (event.sample.kind === 'probe') this.probes.push(event.sample);
    }
  };

  private onTcp(sample: TcpSample & { t: number }): void {
    this.kernelSamples++;
    const previous = this.previous.get(sample.socketId);
    this.previous.set(sample.socketId, sample);
    if (!previous) return;
    const queued = sample.toolBuffered + sample.toolTxQueue + sample.targetRxQueue;
    if (isStalled(previous, sample)) {
      const open = this.open.get(sample.socketId);
      if (open) {
        open.lastStalledAt = sample.t;
        open.bytesQueued = Math.max(open.bytesQueued, queued);
      } else {
        this.open.set(sample.socketId, {
          startedAt: previous.t,
          lastStalledAt: sample.t,
          bytesQueued: queued,
        });
      }
    } else {
      this.close(sample.socketId, sample.t);
    }
  }

  /** Ends the open episode at `endedAt` (the first sample that showed progress). */
  private close(socketId: number, endedAt: number): void {
    const open = this.open.get(socketId);
    this.open.delete(socketId);
    if (!open) return;
    const durationMs = endedAt - open.startedAt;
    if (durationMs > this.thresholdMs) {
      this.raw.push({
        startedAt: open.startedAt,
        durationMs,
        bytesQueued: open.bytesQueued,
        source: 'kernel',
      });
    }
  }

  /** True when, at time `at`, the target had left a probe unanswered for longer than `blockedAfterMs`. */
  private blockedAt(at: number): boolean {
    // Probes are sequential: find the last one asked at or before `at`.
    let low = 0;
    let high = this.probes.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.probes[mid]!.requestedAt <= at) low = mid + 1;
      else high = mid;
    }
    const probe = this.probes[low - 1];
    if (!probe) return false;
    const answeredAt = probe.requestedAt + probe.latencyMs;
    if (!probe.ok && at <= answeredAt + 300) return true;
    const waitingSince = at - probe.requestedAt;
    return at < answeredAt && waitingSince > this.blockedAfterMs;
  }

  summary(endedAt?: number): PauseSummary {
    if (endedAt !== undefined) {
      for (const [socketId, open] of [...this.open])
        this.close(socketId, Math.max(endedAt, open.lastStalledAt));
    }
    const source = this.kernelSamples > 0 ? 'kernel' : this.drainWaits.length ? 'drain' : 'none';
    const raw = (source === 'kernel' ? this.raw : this.drainWaits).sort((a, b) => a.startedAt - b.startedAt);
    this.probes.sort((a, b) => a.requestedAt - b.requestedAt);
    let flowControlMs = 0;
    let blockedMs = 0;
    const episodes = raw.map((episode): StallEpisode => {
      let blockedSteps = 0;
      let steps = 0;
      for (let at = episode.startedAt; at < episode.startedAt + episode.durationMs; at += STEP_MS) {
        steps++;
        if (this.blockedAt(at)) blockedSteps++;
      }
      const blockedFraction = steps ? blockedSteps / steps : 0;
      const blocked = Math.round(episode.durationMs * blockedFraction);
      blockedMs += blocked;
      flowControlMs += episode.durationMs - blocked;
      return {
        ...episode,
        cause: blockedFraction >= 0.5 ? 'blocked' : 'flow-control',
        blockedFraction: Math.round(blockedFraction * 100) / 100,
      };
    });
    const debug = this.loggingLevel === 'debug' || this.loggingLevel === 'trace';
    return {
      count: episodes.length,
      totalMs: episodes.reduce((sum, e) => sum + e.durationMs, 0),
      wallMs: unionMs(episodes),
      longestMs: episodes.reduce((max, e) => Math.max(max, e.durationMs), 0),
      flowControlMs,
      blockedMs,
      targetLogged: debug ? this.logPauses : null,
      targetResumes: debug ? this.logResumes : null,
      source,
      thresholdMs: this.thresholdMs,
      blockedAfterMs: this.blockedAfterMs,
      episodes,
    };
  }
}

/** Length of the union of the episodes' intervals: overlapping stalls of different connections count once. */
export function unionMs(episodes: Array<{ startedAt: number; durationMs: number }>): number {
  const sorted = [...episodes].sort((a, b) => a.startedAt - b.startedAt);
  let total = 0;
  let end = Number.NEGATIVE_INFINITY;
  for (const { startedAt, durationMs } of sorted) {
    const stop = startedAt + durationMs;
    if (stop <= end) continue;
    total += stop - Math.max(startedAt, end);
    end = stop;
  }
  return total;
}
