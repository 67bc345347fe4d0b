/**
 * The re-subscription herd (PR #147): when a worker dies, every stream it held drops at once, and each re-subscribes
 * on its own. For each burst of dropped streams — a worker death, as the tool sees it — how many came back, how soon
 * after the drop, how spread out, and how close together the closest two were. A stagger of a few hundred ms is
 * what a fix would add; a few ms apart is the herd.
 */
import type { RunEvent } from '../events/schema.js';

/** Drops closer than this to the previous one belong to the same burst (one worker's sockets close together). */
export const BURST_GAP_MS = 2000;

export interface HerdDeath {
  /** When the first stream dropped (epoch ms). */
  at: number;
  /** ms after the first frame was sent (epoch ms when nothing was sent). */
  atMs: number;
  /** Streams whose connection dropped in this burst. */
  dropped: number;
  /** Of those, the streams that re-subscribed before the next burst (or the end). */
  resubscribed: number;
  /** From the first drop to the first and to the last re-subscription. */
  firstMs: number | null;
  lastMs: number | null;
  /** Last minus first re-subscription. */
  spreadMs: number | null;
  /** Smallest gap between two consecutive re-subscriptions (null with fewer than two). */
  smallestGapMs: number | null;
}

export interface HerdSummary {
  deaths: HerdDeath[];
  /** Largest spread over the deaths where at least two streams came back (null: none). */
  maxSpreadMs: number | null;
  /** Smallest gap over all deaths (null: no death with two re-subscriptions). */
  smallestGapMs: number | null;
}

interface Burst {
  at: number;
  last: number;
  streams: Set<string>;
  /** First re-subscription per stream. */
  resumes: Map<string, number>;
}

export class HerdAnalysis {
  private readonly loaded = new Set<number>();
  private readonly bursts: Burst[] = [];
  private firstSendAt?: number;
  private cleaningUp = false;

  /** `stream` is the stream the event belongs to (the router's answer), if any. */
  sink(event: RunEvent, stream: string | undefined): void {
    // Cleanup removes the tool from the node and may stop it: the sockets it closes then are not a worker death.
    if (event.type === 'phase' && event.phase === 'cleaning-up') this.cleaningUp = true;
    if (this.cleaningUp) return;
    if (event.type === 'frame-sent') this.firstSendAt ??= event.t;
    else if (event.type === 'connection' && event.event === 'streaming') this.loaded.add(event.socketId);
    else if (event.type === 'connection' && event.event === 'closed') {
      // A 1000 close is the tool's or a clean end, not a drop.
      if (!this.loaded.has(event.socketId) || event.code === 1000 || stream === undefined) return;
      this.loaded.delete(event.socketId);
      this.onDrop(event.t, stream);
    } else if (event.type === 'resume' && stream !== undefined) {
      const burst = this.bursts.at(-1);
      if (burst?.streams.has(stream) && !burst.resumes.has(stream)) burst.resumes.set(stream, event.t);
    }
  }

  private onDrop(at: number, stream: string): void {
    const burst = this.bursts.at(-1);
    if (burst && at - burst.last <= BURST_GAP_MS && burst.resumes.size === 0) {
      burst.streams.add(stream);
      burst.last = at;
      return;
    }
    this.bursts.push({ at, last: at, streams: new Set([stream]), resumes: new Map() });
  }

  summary(): HerdSummary {
    const deaths = this.bursts.map((burst) => this.death(burst));
    const spreads = deaths.flatMap((d) => (d.resubscribed > 1 && d.spreadMs !== null ? [d.spreadMs] : []));
    const gaps = deaths.flatMap((d) => (d.smallestGapMs === null ? [] : [d.smallestGapMs]));
    return {
      deaths,
      maxSpreadMs: spreads.length ? Math.max(...spreads) : null,
      smallestGapMs: gaps.length ? Math.min(...gaps) : null,
    };
  }

  private death(burst: Burst): HerdDeath {
    const times = [...burst.resumes.values()].sort((a, b) => a - b);
    const first = times[0];
    const last = times.at(-1);
    let smallestGap: number | null = null;
    for (let i = 1; i < times.length; i++) {
      const gap = (times[i] as number) - (times[i - 1] as number);
      smallestGap = smallestGap === null ? gap : Math.min(smallestGap, gap);
    }
    return {
      at: burst.at,
      atMs: burst.at - (this.firstSendAt ?? 0),
      dropped: burst.streams.size,
      resubscribed: times.length,
      firstMs: first === undefined ? null : first - burst.at,
      lastMs: last === undefined ? null : last - burst.at,
      spreadMs: first === undefined || last === undefined ? null : last - first,
      smallestGapMs: smallestGap,
    };
  }
}
