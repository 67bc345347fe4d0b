/**
 * Which frames the target has committed. Every frame carries an increasing sequence tail; a COMMITTED_UPDATE with
 * value s commits every frame whose tail is ≤ s (Harper coalesces acks inside a 2 ms window).
 */

export interface CommittedFrame {
  index: number;
  /** ms from the frame's (last) send to the ack; undefined if it was never sent on this run. */
  latencyMs?: number;
}

export class AckTracker {
  private readonly sentAt: Float64Array;
  private committed = 0;
  private highestAck = Number.NEGATIVE_INFINITY;
  /** Waiters for a frame's commit (whenCommitted), woken by ack(). */
  private waiters: Array<{ index: number; wake: () => void }> = [];

  constructor(
    readonly frameCount: number,
    private readonly sequenceId: (index: number) => number,
  ) {
    this.sentAt = new Float64Array(frameCount);
  }

  /** Number of frames committed, a prefix of the stream (frames 0 … committedFrames − 1). */
  get committedFrames(): number {
    return this.committed;
  }

  get complete(): boolean {
    return this.committed >= this.frameCount;
  }

  /** The highest sequence id acked so far, or undefined. */
  get cursor(): number | undefined {
    return Number.isFinite(this.highestAck) ? this.highestAck : undefined;
  }

  /** Whether frame `index` was handed to a socket before (on this or an earlier connection). */
  wasSent(index: number): boolean {
    return this.sentAt[index]! > 0;
  }

  markSent(index: number, at: number): void {
    this.sentAt[index] = at;
  }

  /** First frame whose tail is greater than `startTime`: where a stream resumes. */
  firstAfter(startTime: number): number {
    let low = 0;
    let high = this.frameCount;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.sequenceId(mid) <= startTime) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Applies an ack; returns the frames it newly commits, in order. */
  ack(sequenceId: number, at: number): CommittedFrame[] {
    if (sequenceId <= this.highestAck) return [];
    this.highestAck = sequenceId;
    const upTo = this.firstAfter(sequenceId);
    const newly: CommittedFrame[] = [];
    for (let index = this.committed; index < upTo; index++) {
      const sent = this.sentAt[index]!;
      newly.push(sent > 0 ? { index, latencyMs: at - sent } : { index });
    }
    this.committed = Math.max(this.committed, upTo);
    if (this.waiters.length) {
      const woken = this.waiters.filter((w) => w.index < this.committed);
      this.waiters = this.waiters.filter((w) => w.index >= this.committed);
      for (const waiter of woken) waiter.wake();
    }
    return newly;
  }

  /** Resolves once frame `index` is committed (at once if it is), or when `signal` aborts. */
  whenCommitted(index: number, signal?: AbortSignal): Promise<void> {
    if (index < this.committed || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = {
        index,
        wake: () => {
          signal?.removeEventListener('abort', abort);
          resolve();
        },
      };
      const abort = () => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve();
      };
      signal?.addEventListener('abort', abort, { once: true });
      this.waiters.push(waiter);
    });
  }
}
