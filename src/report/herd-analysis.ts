/**
 * The re-subscription herd (PR #147): when a worker dies, every stream it held drops at once, and each re-subscribes
 * on its own. For each burst of dropped streams — a worker death, as the tool sees it — how many came back, how soon
 * after the drop, how spread out, and how close together the closest two were. A stagger of a few hundred ms is
 * what a fix would add; a few ms apart is the herd.
 *
 * The target's side: 4.7.29's main thread logs "Setting up subscription with leader …" (warn) each time it hands a
 * subscription to a worker — once per database at the start, and again for every one a dead worker held. The lines
 * name no database, so they are counted per death by their own timestamps.
 */
import type { RunEvent } from '../events/schema.js';

/** Drops closer than this to the previous one belong to the same burst (one worker's sockets close together). */
export const BURST_GAP_MS = 2000;
/** The target may log a death's "Setting up subscription" lines a beat before the tool sees its sockets close. */
export const SETUP_LEAD_MS = 500;
/**
 * 4.7.29 logged them 0.48–0.98 s after the drop (5 deaths): a log read sooner after a drop than this cannot say how
 * many there were. The log is read when the run ends, which can be right after a last death: the run waits until
 * this long after it first (run/herd-rules.ts).
 */
export const SETUP_SETTLE_MS = 1500;

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
  /**
   * "Setting up subscription" lines the target logged from just before this drop (SETUP_LEAD_MS) to just before the
   * next; null when the run saw none at all (its log was not read, or its level hides warnings), or when the log
   * was last read less than SETUP_SETTLE_MS after this drop.
   */
  subscriptionLines: number | null;
  /** From the first drop to the first and last of those lines (null: none). */
  subscriptionLinesFirstMs: number | null;
  subscriptionLinesLastMs: number | null;
}

export interface HerdSummary {
  deaths: HerdDeath[];
  /** Largest spread over the deaths where at least two streams came back (null: none). */
  maxSpreadMs: number | null;
  /** Smallest gap over all deaths (null: no death with two re-subscriptions). */
  smallestGapMs: number | null;
  /** Every "Setting up subscription" line of the run, the initial subscriptions' included. */
  subscriptionLines: number;
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
  /** When the target logged each "Setting up subscription" line (the line's own time; else when it was read). */
  private readonly setupLines: number[] = [];
  /** When the target's log was last read (the latest log-match event). */
  private logReadAt?: number;
  /** From the cleaning-up phase on, closes are the tool's doing (remove_node drops its connections: 1006). */
  private cleaningUp = false;

  /** `stream` is the stream the event belongs to (the router's answer), if any. */
  sink(event: RunEvent, stream: string | undefined): void {
    if (event.type === 'frame-sent') this.firstSendAt ??= event.t;
    else if (event.type === 'phase' && event.phase === 'cleaning-up') this.cleaningUp = true;
    // The target's log only (other members' samplers label their lines).
    else if (event.type === 'log-match' && event.member === undefined) this.onLogLine(event);
    else if (event.type === 'connection' && event.event === 'streaming') this.loaded.add(event.socketId);
    else if (event.type === 'connection' && event.event === 'closed') {
      // A 1000 close is the tool's or a clean end, not a drop.
      if (!this.loaded.has(event.socketId) || event.code === 1000 || stream === undefined || this.cleaningUp)
        return;
      this.loaded.delete(event.socketId);
      this.onDrop(event.t, stream);
    } else if (event.type === 'resume' && stream !== undefined) {
      const burst = this.bursts.at(-1);
      if (burst?.streams.has(stream) && !burst.resumes.has(stream)) burst.resumes.set(stream, event.t);
    }
  }

  private onLogLine(event: Extract<RunEvent, { type: 'log-match' }>): void {
    this.logReadAt = Math.max(this.logReadAt ?? 0, event.t);
    if (event.kind !== 'subscription-setup') return;
    const at = event.at === undefined ? Number.NaN : Date.parse(event.at);
    this.setupLines.push(Number.isFinite(at) ? at : event.t);
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
    const deaths = this.bursts.map((burst, i) => this.death(burst, this.bursts[i + 1]));
    const spreads = deaths.flatMap((d) => (d.resubscribed > 1 && d.spreadMs !== null ? [d.spreadMs] : []));
    const gaps = deaths.flatMap((d) => (d.smallestGapMs === null ? [] : [d.smallestGapMs]));
    return {
      deaths,
      maxSpreadMs: spreads.length ? Math.max(...spreads) : null,
      smallestGapMs: gaps.length ? Math.min(...gaps) : null,
      subscriptionLines: this.setupLines.length,
    };
  }

  /** The lines from just before this burst to just before the next: the target logs them after it sees the death. */
  private linesOf(
    burst: Burst,
    next: Burst | undefined,
  ): Pick<HerdDeath, 'subscriptionLines' | 'subscriptionLinesFirstMs' | 'subscriptionLinesLastMs'> {
    if (!this.setupLines.length || (this.logReadAt ?? 0) < burst.at + SETUP_SETTLE_MS)
      return { subscriptionLines: null, subscriptionLinesFirstMs: null, subscriptionLinesLastMs: null };
    const from = burst.at - SETUP_LEAD_MS;
    const until = next ? next.at - SETUP_LEAD_MS : Number.POSITIVE_INFINITY;
    const times = this.setupLines.filter((t) => t >= from && t < until).sort((a, b) => a - b);
    return {
      subscriptionLines: times.length,
      subscriptionLinesFirstMs: times.length ? times[0]! - burst.at : null,
      subscriptionLinesLastMs: times.length ? times.at(-1)! - burst.at : null,
    };
  }

  private death(burst: Burst, next: Burst | undefined): HerdDeath {
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
      ...this.linesOf(burst, next),
    };
  }
}
