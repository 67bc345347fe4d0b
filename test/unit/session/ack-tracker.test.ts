import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AckTracker } from '../../../src/session/ack-tracker.js';

/** Frame i has tail 100 + 10 i: 100, 110, …, 190. */
const tail = (index: number): number => 100 + 10 * index;
const tracker = (frames = 10): AckTracker => new AckTracker(frames, tail);

describe('AckTracker', () => {
  it('starts with nothing committed and no cursor', () => {
    const t = tracker();
    assert.equal(t.committedFrames, 0);
    assert.equal(t.complete, false);
    assert.equal(t.cursor, undefined);
  });

  it('an ack of frame 5 tail commits frames 0..5 at once (coalesced acks)', () => {
    const t = tracker();
    const committed = t.ack(tail(5), 1000);
    assert.deepEqual(
      committed.map((c) => c.index),
      [0, 1, 2, 3, 4, 5],
    );
    assert.equal(t.committedFrames, 6);
    assert.equal(t.cursor, 150);
    assert.equal(t.complete, false);
  });

  it('ignores acks at or below the highest ack so far', () => {
    const t = tracker();
    t.ack(tail(5), 1000);
    assert.deepEqual(t.ack(tail(3), 1001), []);
    assert.deepEqual(t.ack(tail(5), 1002), []);
    assert.equal(t.committedFrames, 6);
    assert.equal(t.cursor, 150);
  });

  it('an ack between two tails commits only frames whose tail is ≤ the ack', () => {
    const t = tracker();
    t.ack(tail(1), 1);
    assert.deepEqual(
      t.ack(175, 2).map((c) => c.index),
      [2, 3, 4, 5, 6, 7],
    );
    assert.equal(t.committedFrames, 8);
    assert.equal(t.cursor, 175);
    // An ack below the first tail commits nothing.
    const fresh = tracker();
    assert.deepEqual(fresh.ack(50, 1), []);
    assert.equal(fresh.committedFrames, 0);
  });

  it('the last tail completes the stream; acks beyond it commit nothing more', () => {
    const t = tracker(4);
    assert.equal(t.ack(tail(3), 10).length, 4);
    assert.equal(t.complete, true);
    assert.deepEqual(t.ack(10_000, 11), []);
    assert.equal(t.committedFrames, 4);
    const beyond = tracker(4);
    assert.deepEqual(
      beyond.ack(10_000, 1).map((c) => c.index),
      [0, 1, 2, 3],
    );
    assert.equal(beyond.complete, true);
  });

  it('firstAfter: startTime 0, a middle tail, between tails, beyond the end', () => {
    const t = tracker();
    assert.equal(t.firstAfter(0), 0);
    assert.equal(t.firstAfter(99), 0);
    assert.equal(t.firstAfter(100), 1);
    assert.equal(t.firstAfter(tail(4)), 5);
    assert.equal(t.firstAfter(tail(4) + 5), 5);
    assert.equal(t.firstAfter(tail(9)), 10);
    assert.equal(t.firstAfter(1e15), 10);
    assert.equal(new AckTracker(0, tail).firstAfter(0), 0);
  });

  it('an empty stream is complete from the start', () => {
    const t = new AckTracker(0, tail);
    assert.equal(t.complete, true);
    assert.deepEqual(t.ack(1, 1), []);
  });

  it('latency is measured from the last markSent; unsent frames have none', () => {
    const t = tracker();
    t.markSent(0, 1000);
    t.markSent(1, 1005);
    t.markSent(1, 1007); // resent: latency counts from the last send
    assert.equal(t.wasSent(1), true);
    assert.equal(t.wasSent(2), false);
    assert.deepEqual(t.ack(tail(2), 1020), [
      { index: 0, latencyMs: 20 },
      { index: 1, latencyMs: 13 },
      { index: 2 },
    ]);
  });

  it('works with the float64 tails of real sequence ids', () => {
    const base = 1795327117408.5;
    const t = new AckTracker(3, (i) => base + i + 1);
    assert.equal(t.firstAfter(base + 1), 1);
    assert.deepEqual(
      t.ack(base + 2, 0).map((c) => c.index),
      [0, 1],
    );
    assert.equal(t.cursor, base + 2);
  });
  it('whenCommitted resolves once an ack covers the frame (at once for a committed one), or on abort', async () => {
    const acks = new AckTracker(5, (i) => 100 + i);
    const woken: number[] = [];
    for (const index of [1, 3]) acks.whenCommitted(index).then(() => woken.push(index));
    const abort = new AbortController();
    let aborted = false;
    acks.whenCommitted(4, abort.signal).then(() => {
      aborted = true;
    });
    acks.ack(101, 0);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(woken, [1]);
    acks.ack(103, 0);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(woken, [1, 3]);
    assert.equal(aborted, false);
    abort.abort();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(aborted, true);
    let immediate = false;
    await acks.whenCommitted(2).then(() => {
      immediate = true;
    });
    assert.equal(immediate, true);
  });
});

/** The tracker as it was: a send time for every frame of the stream (memory O(frames)). */
class EveryFrameModel {
  readonly sentAt: Float64Array;
  committed = 0;
  highest = Number.NEGATIVE_INFINITY;
  constructor(readonly frames: number) {
    this.sentAt = new Float64Array(frames);
  }
  ack(sequenceId: number, at: number) {
    if (sequenceId <= this.highest) return [];
    this.highest = sequenceId;
    let upTo = 0;
    while (upTo < this.frames && tail(upTo) <= sequenceId) upTo++;
    const out = [];
    for (let i = this.committed; i < upTo; i++)
      out.push(this.sentAt[i]! > 0 ? { index: i, latencyMs: at - this.sentAt[i]! } : { index: i });
    this.committed = Math.max(this.committed, upTo);
    return out;
  }
}

describe('AckTracker memory: O(frames in flight)', () => {
  it('agrees with a send time per frame on any sequence of sends, resends, reconnects and acks', () => {
    const op = fc.oneof(
      fc.record({ send: fc.integer({ min: 0, max: 199 }) }),
      fc.record({ ack: fc.integer({ min: 0, max: 210 }) }),
      fc.record({ run: fc.integer({ min: 0, max: 199 }), length: fc.integer({ min: 1, max: 40 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const t = tracker(200);
        const model = new EveryFrameModel(200);
        let clock = 1;
        const send = (index: number) => {
          clock++;
          const resent = index < model.committed || model.sentAt[index]! > 0;
          assert.equal(t.wasSent(index), resent, `wasSent(${index})`);
          t.markSent(index, clock);
          if (index >= model.committed) model.sentAt[index] = clock;
        };
        for (const o of ops) {
          if ('send' in o) send(o.send);
          else if ('run' in o) for (let i = o.run; i < Math.min(200, o.run + o.length); i++) send(i);
          else {
            clock++;
            assert.deepEqual(t.ack(tail(o.ack), clock), model.ack(tail(o.ack), clock));
          }
          assert.equal(t.committedFrames, model.committed);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a million frames with at most 8 in flight keep a ring of 16 slots', () => {
    const frames = 1_000_000;
    const t = new AckTracker(frames, tail);
    for (let i = 0; i < frames; i++) {
      t.markSent(i, i + 1);
      if (i % 8 === 7) assert.equal(t.ack(tail(i), i + 2).length, 8);
    }
    assert.equal(t.complete, true);
    assert.ok(t.windowCapacity <= 16, `ring of ${t.windowCapacity} slots`);
  });

  it('the ring grows with the frames in flight, not with the stream', () => {
    const t = new AckTracker(1_000_000, tail);
    for (let i = 0; i < 1000; i++) t.markSent(i, i + 1);
    assert.ok(t.windowCapacity >= 1000 && t.windowCapacity <= 1024, `ring of ${t.windowCapacity} slots`);
    assert.equal(t.ack(tail(999), 5000).length, 1000);
    assert.equal(t.ack(tail(999), 5000).length, 0);
  });

  it('reads a live frame count: an open-ended stream is complete once its final count is committed', () => {
    let count = 1_000_000;
    const t = new AckTracker(() => count, tail);
    for (let i = 0; i < 5; i++) t.markSent(i, i + 1);
    assert.equal(t.ack(tail(4), 10).length, 5);
    assert.equal(t.complete, false, 'the bound is not reached');
    count = 5;
    assert.equal(t.frameCount, 5);
    assert.equal(t.complete, true, 'the time is up with 5 frames sent, all committed');
    assert.equal(t.firstAfter(tail(9)), 5, 'a resume never goes past the final count');
  });
});
