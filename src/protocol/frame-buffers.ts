/**
 * Reuse of multi-MB frame buffers between frames: a buffer handed out with a frame comes back once the socket has
 * written that frame, and the next frame of that size takes it. A fresh buffer of this size is mapped afresh by the
 * allocator: its pages fault (and are zeroed by the kernel) on first touch, and the first pass over them runs ~6×
 * slower than over a reused buffer (a CRC over a just-read 2.8 MB frame: 0.8 against 4.8–6 GB/s).
 */

/** Buffers this large are recycled; smaller ones share Node's pool (and must never come back: others use it). */
export const RECYCLABLE_BYTES = 64 * 1024;
/** Spare buffers kept: enough for the frames a sender has in flight, few enough to bound memory. */
const SPARE_LIMIT = 4;
/** A new buffer is this much larger than asked (1/16): frames that grow a little still fit a spare. */
const HEADROOM_SHIFT = 4;
/** New buffers are whole pages (and so whole 8-byte words, which ordered-binary's writeKey needs). */
const PAGE = 4096;

export class BufferRecycler {
  /** Memory of frames handed out and not yet recycled: only those may come back. */
  private readonly handedOut = new WeakSet<ArrayBuffer>();
  private readonly spare: Buffer[] = [];

  /**
   * A buffer of at least `bytes` no frame in flight uses: a spare (its whole length, which a frame may grow into)
   * or a new one. Below RECYCLABLE_BYTES, a slice of Node's pool.
   */
  take(bytes: number): Buffer {
    if (bytes < RECYCLABLE_BYTES) return Buffer.allocUnsafe(bytes);
    // The smallest spare that fits: a small frame leaves the large spares to the large frames.
    let at = -1;
    for (let i = 0; i < this.spare.length; i++)
      if (this.spare[i]!.length >= bytes && (at < 0 || this.spare[i]!.length < this.spare[at]!.length))
        at = i;
    if (at >= 0) return this.spare.splice(at, 1)[0]!;
    return Buffer.allocUnsafeSlow(Math.ceil((bytes + (bytes >>> HEADROOM_SHIFT)) / PAGE) * PAGE);
  }

  /** Marks `frame` (a view of a buffer from `take`) as handed out: `recycle` may take its memory back later. */
  handOut(frame: Uint8Array): void {
    if (frame.buffer.byteLength >= RECYCLABLE_BYTES) this.handedOut.add(frame.buffer as ArrayBuffer);
  }

  /**
   * Takes back a handed-out frame whose bytes nobody reads any more (the socket wrote them): a later `take` may
   * overwrite it. Anything else (a small frame, a copy, a frame recycled twice) is ignored.
   */
  recycle(frame: Uint8Array): void {
    const memory = frame.buffer as ArrayBuffer;
    if (!this.handedOut.has(memory)) return;
    this.handedOut.delete(memory);
    if (this.spare.length < SPARE_LIMIT) this.spare.push(Buffer.from(memory));
  }
}
