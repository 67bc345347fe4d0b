/**
 * Acks the target withheld: frames it never committed, and ack stalls — intervals during which frames were
 * outstanding (sent, not committed) on a stream and its committed cursor did not move. A withheld blob makes the
 * target wait its blob timeout before committing the frame, and every frame behind it waits too: that shows here
 * as one long stall, while the per-frame ack latency only says the frames were slow.
 */
import type { RunEvent } from '../events/schema.js';

/** Shorter intervals are ordinary ack latency (4.7 coalesces acks in a 2 ms window), not a stall. */
export const ACK_STALL_MIN_MS = 250;
/** The result lists at most this many unacked frames and stall episodes (the counts are whole). */
export const ACK_LIST_MAX = 20;

export interface AckStall {
  /** Epoch ms of the last progress before the stall (a commit, or the send that made frames outstanding). */
  startedAt: number;
  /** ms after the first frame was sent. */
  atMs: number;
  durationMs: number;
  /** The stream it happened on (absent in a single-stream run). */
  stream?: string;
  /** The oldest frame waiting for its ack when the stall began. */
  firstFrame: number;
  /** The stall was still going when the run ended (its frames were never acked). */
  open: boolean;
}

export interface UnackedFrame {
  /** Absent in a single-stream run. */
  stream?: string;
  index: number;
}

export interface AckSummary {
  /** Frames sent and never committed by the end of the run (a frame resent after a reconnect counts once). */
  unackedFrames: number;
  /** Which ones, lowest first per stream, at most ACK_LIST_MAX. */
  unacked: UnackedFrame[];
  /** Stalls of at least `minStallMs`: how many, their total (summed over streams) and the longest. */
  stalls: number;
  totalStallMs: number;
  /** The longest interval with frames outstanding and no commit, whatever its length (null: nothing sent). */
  longestStallMs: number | null;
  minStallMs: number;
  /** The longest stalls, in time order, at most ACK_LIST_MAX. */
  episodes: AckStall[];
}

interface StreamState {
  outstanding: Set<number>;
  /** When the current interval without progress began (undefined: nothing outstanding). */
  since?: number;
}

export class AckAnalysis {
  private readonly streams = new Map<string, StreamState>();
  private readonly stalls: AckStall[] = [];
  private longest: number | null = null;
  private firstSendAt?: number;

  /** `stream` is the stream the event belongs to (the router's answer), if any. */
  sink(event: RunEvent, stream: string | undefined): void {
    if (event.type !== 'frame-sent' && event.type !== 'frame-committed') return;
    const state = this.state(stream ?? '');
    if (event.type === 'frame-sent') {
      this.firstSendAt ??= event.t;
      if (state.outstanding.has(event.index)) return;
      state.outstanding.add(event.index);
      state.since ??= event.t;
      return;
    }
    if (state.since !== undefined) this.close(stream, state, event.t);
    state.outstanding.delete(event.index);
    state.since = state.outstanding.size ? event.t : undefined;
  }

  private state(key: string): StreamState {
    let state = this.streams.get(key);
    if (!state) {
      state = { outstanding: new Set() };
      this.streams.set(key, state);
    }
    return state;
  }

  private close(stream: string | undefined, state: StreamState, at: number): void {
    const durationMs = at - state.since!;
    this.longest = Math.max(this.longest ?? 0, durationMs);
    if (durationMs >= ACK_STALL_MIN_MS) this.stalls.push(this.stall(stream, state, durationMs, false));
  }

  private stall(stream: string | undefined, state: StreamState, durationMs: number, open: boolean): AckStall {
    const since = state.since!;
    return {
      startedAt: since,
      atMs: since - (this.firstSendAt ?? since),
      durationMs,
      ...(stream ? { stream } : {}),
      firstFrame: oldest(state.outstanding),
      open,
    };
  }

  /** `endedAt`: when the run ended; stalls still going then are counted up to it. */
  summary(endedAt: number | undefined): AckSummary {
    // Streams are named only when there are several.
    const several = this.streams.size > 1;
    const stalls = this.stalls.map(({ stream, ...stall }) =>
      several && stream ? { ...stall, stream } : stall,
    );
    const unacked: UnackedFrame[] = [];
    let unackedFrames = 0;
    let longest = this.longest;
    for (const [key, state] of this.streams) {
      const frames = [...state.outstanding].sort((a, b) => a - b);
      unackedFrames += frames.length;
      for (const index of frames.slice(0, ACK_LIST_MAX - unacked.length))
        unacked.push(several ? { stream: key, index } : { index });
      if (state.since === undefined || endedAt === undefined) continue;
      // The stall still going: counted up to the end without changing the fold (summary may be asked mid-run).
      const durationMs = endedAt - state.since;
      longest = Math.max(longest ?? 0, durationMs);
      if (durationMs >= ACK_STALL_MIN_MS)
        stalls.push(this.stall(several ? key : undefined, state, durationMs, true));
    }
    const longestFirst = [...stalls].sort((a, b) => b.durationMs - a.durationMs).slice(0, ACK_LIST_MAX);
    return {
      unackedFrames,
      unacked,
      stalls: stalls.length,
      totalStallMs: stalls.reduce((sum, s) => sum + s.durationMs, 0),
      longestStallMs: longest,
      minStallMs: ACK_STALL_MIN_MS,
      episodes: longestFirst.sort((a, b) => a.startedAt - b.startedAt),
    };
  }
}

/** The lowest index (a loop: a spread of a long replay's outstanding frames could overflow the call stack). */
function oldest(frames: Set<number>): number {
  let lowest = Number.POSITIVE_INFINITY;
  for (const index of frames) if (index < lowest) lowest = index;
  return lowest;
}
