/**
 * Which frames the target has committed. Every frame carries an increasing sequence tail; a COMMITTED_UPDATE with
 * value s commits every frame whose tail is ≤ s (Harper coalesces acks inside a 2 ms window).
 */

export interface CommittedFrame {
  index: number;
  /** ms from the frame's (last) send to the ack; undefined if it was never sent on this run. */
  latencyMs?: number;
}

/**
 * Send times are kept only for the frames in flight (sent, not yet committed): a ring over frames low … high − 1,
 * indexed by frame number, that grows to the widest span seen, so a stream of any length costs O(frames in flight),
 * not O(frames).
 */
export class AckTracker {
  private sentAt = new Float64Array(16);
  /** The frames the ring holds: low … high − 1 (empty when low = high); every other frame reads as unsent. */
  private low = 0;
  private high = 0;
  private committed = 0;
  private highestAck = Number.NEGATIVE_INFINITY;
  /** Waiters for a frame's commit (whenCommitted), woken by ack(). */
  private waiters: Array<{ index: number; wake: () => void }> = [];

  /**
   * `frames`: the stream's frame count, or a function that reads it each time (an open-ended source's count is an
   * upper bound until its time is up, then the frames it sent).
   */
  constructor(
    private readonly frames: number | (() => number),
    private readonly sequenceId: (index: number) => number,
  ) {}

  get frameCount(): number {
    return typeof this.frames === 'number' ? this.frames : this.frames();
  }

  /** Slots the ring holds now (8 bytes each): at least the span of the frames in flight. */
  get windowCapacity(): number {
    return this.sentAt.length;
  }

  private slot(index: number): number {
    return index & (this.sentAt.length - 1);
  }

  private held(index: number): boolean {
    return index >= this.low && index < this.high;
  }

  /** Widens the held span to include `index`: the ring doubles until it fits, new slots read as unsent. */
  private include(index: number): void {
    if (this.low === this.high) {
      this.low = index;
      this.high = index + 1;
      this.sentAt[this.slot(index)] = 0;
      return;
    }
    const low = Math.min(this.low, index);
    const high = Math.max(this.high, index + 1);
    let size = this.sentAt.length;
    while (high - low > size) size *= 2;
    const ring = size === this.sentAt.length ? this.sentAt : new Float64Array(size);
    if (ring !== this.sentAt)
      for (let i = this.low; i < this.high; i++) ring[i & (size - 1)] = this.sentAt[this.slot(i)]!;
    this.sentAt = ring;
    for (let i = low; i < this.low; i++) ring[i & (size - 1)] = 0;
    for (let i = this.high; i < high; i++) ring[i & (size - 1)] = 0;
    this.low = low;
    this.high = high;
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
    // A committed frame was sent before, or the target had it already: sending it again is a resend either way.
    if (index < this.committed) return true;
    return this.held(index) && this.sentAt[this.slot(index)]! > 0;
  }

  markSent(index: number, at: number): void {
    if (index < this.committed) return;
    this.include(index);
    this.sentAt[this.slot(index)] = at;
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
      const sent = this.held(index) ? this.sentAt[this.slot(index)]! : 0;
      newly.push(sent > 0 ? { index, latencyMs: at - sent } : { index });
    }
    this.committed = Math.max(this.committed, upTo);
    // Committed frames leave the ring.
    this.low = Math.min(Math.max(this.low, this.committed), this.high);
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
