/** Ack stalls and unacked frames from hand-built events: frames outstanding while the committed cursor stands still. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunEvent } from '../../../src/events/schema.js';
import { ACK_LIST_MAX, ACK_STALL_MIN_MS, AckAnalysis } from '../../../src/report/ack-analysis.js';
import { EventRouter } from '../../../src/report/breakdown.js';
import { completeRun, ev, fold, STREAM, T0 } from './support.js';

/** Folds the events as the result does: the router names each event's stream. */
function acks(events: RunEvent[], endMs?: number) {
  const router = new EventRouter();
  const analysis = new AckAnalysis();
  for (const event of events) {
    router.learn(event);
    analysis.sink(event, router.streamOf(event));
  }
  return analysis.summary(endMs === undefined ? undefined : T0 + endMs);
}

const OTHER = 'node-a/other';

describe('AckAnalysis', () => {
  it('a withheld blob: frame 1 holds the cursor 1200 ms with frames 1–3 outstanding; one stall, nothing unacked', () => {
    const summary = acks([
      ev.sent(1000, 0),
      ev.committed(1050, 0, 50),
      ev.sent(1100, 1),
      ev.sent(1120, 2),
      ev.sent(1140, 3),
      ev.committed(2300, 1, 1200),
      ev.committed(2300, 2, 1180),
      ev.committed(2310, 3, 1170),
    ]);
    assert.deepEqual(summary, {
      unackedFrames: 0,
      unacked: [],
      stalls: 1,
      totalStallMs: 1200,
      longestStallMs: 1200,
      minStallMs: ACK_STALL_MIN_MS,
      episodes: [{ startedAt: T0 + 1100, atMs: 100, durationMs: 1200, firstFrame: 1, open: false }],
    });
  });

  it('short waits are ack latency, not stalls: the longest still says how long the cursor stood', () => {
    const summary = acks([
      ev.sent(0, 0),
      ev.sent(10, 1),
      ev.committed(200, 0, 200),
      ev.committed(400, 1, 390),
    ]);
    assert.equal(summary.stalls, 0);
    assert.equal(summary.totalStallMs, 0);
    assert.equal(summary.longestStallMs, 200);
    assert.deepEqual(summary.episodes, []);
  });

  it('the cursor moving restarts the clock: two 600 ms stalls back to back are two, totalling 1200 ms', () => {
    const summary = acks([
      ev.sent(0, 0),
      ev.sent(5, 1),
      ev.committed(600, 0, 600),
      ev.committed(1200, 1, 1195),
    ]);
    assert.deepEqual(
      summary.episodes.map((e) => [e.atMs, e.durationMs, e.firstFrame]),
      [
        [0, 600, 0],
        [600, 600, 1],
      ],
    );
    assert.equal(summary.totalStallMs, 1200);
    assert.equal(summary.longestStallMs, 600);
  });

  it('nothing outstanding is no stall: an idle gap between frames does not count', () => {
    const summary = acks([
      ev.sent(0, 0),
      ev.committed(20, 0, 20),
      ev.sent(5000, 1),
      ev.committed(5030, 1, 30),
    ]);
    assert.equal(summary.stalls, 0);
    assert.equal(summary.longestStallMs, 30);
  });

  it('frames never acked: listed lowest first, and their stall runs open until the run ended', () => {
    const summary = acks(
      [ev.sent(0, 0), ev.sent(10, 2), ev.sent(20, 1), ev.committed(100, 0, 100), ev.sent(200, 3)],
      3100,
    );
    assert.equal(summary.unackedFrames, 3);
    assert.deepEqual(
      summary.unacked.map((f) => f.index),
      [1, 2, 3],
    );
    assert.deepEqual(summary.episodes, [
      { startedAt: T0 + 100, atMs: 100, durationMs: 3000, firstFrame: 1, open: true },
    ]);
    assert.equal(summary.longestStallMs, 3000);
  });

  it('summary mid-run does not change the fold: a later commit closes the stall as if never asked', () => {
    const router = new EventRouter();
    const analysis = new AckAnalysis();
    const feed = (event: RunEvent) => {
      router.learn(event);
      analysis.sink(event, router.streamOf(event));
    };
    feed(ev.sent(0, 0));
    assert.equal(analysis.summary(T0 + 900).episodes[0]?.open, true);
    feed(ev.committed(1000, 0, 1000));
    assert.deepEqual(
      analysis.summary(T0 + 2000).episodes.map((e) => [e.durationMs, e.open]),
      [[1000, false]],
    );
  });

  it('a frame resent after a reconnect is one outstanding frame; the stall spans the reconnect', () => {
    const summary = acks([
      ev.sent(0, 0),
      ev.sent(10, 1),
      ev.committed(50, 0, 50),
      ev.sent(2000, 1, { resent: true, socketId: 2 }),
      ev.committed(2100, 1, 100),
    ]);
    assert.equal(summary.unackedFrames, 0);
    assert.deepEqual(
      summary.episodes.map((e) => [e.atMs, e.durationMs]),
      [[50, 2050]],
    );
  });

  it('streams stall on their own: one stream waiting does not hide another moving, and totals add up', () => {
    const summary = acks([
      ev.sent(0, 0),
      ev.sent(0, 0, { stream: OTHER, socketId: 2 }),
      ev.committed(30, 0, 30, 10, OTHER),
      ev.sent(40, 1, { stream: OTHER, socketId: 2 }),
      ev.committed(900, 0, 900),
      ev.committed(1400, 1, 1360, 10, OTHER),
      ev.sent(1500, 2, { stream: OTHER, socketId: 2 }),
    ]);
    assert.deepEqual(
      summary.episodes.map((e) => [e.stream, e.durationMs]),
      [
        [STREAM.stream, 900],
        [OTHER, 1360],
      ],
    );
    assert.equal(summary.totalStallMs, 2260);
    assert.deepEqual(summary.unacked, [{ stream: OTHER, index: 2 }], 'named: there are several streams');
  });

  it('200,000 frames outstanding (a long replay into a stuck target): the stall still names the oldest', () => {
    const analysis = new AckAnalysis();
    // One event object, re-indexed: the builder per frame would make this test slow, not the analysis.
    const frame = ev.sent(1, 0) as Extract<RunEvent, { type: 'frame-sent' }>;
    for (let i = 0; i < 200_000; i++) analysis.sink({ ...frame, index: i }, STREAM.stream);
    analysis.sink(ev.committed(2001, 0, 2000), STREAM.stream);
    const summary = analysis.summary(T0 + 5001);
    assert.equal(summary.unackedFrames, 199_999);
    assert.deepEqual(
      summary.episodes.map((e) => [e.firstFrame, e.durationMs, e.open]),
      [
        [0, 2000, false],
        [1, 3000, true],
      ],
    );
  });

  it(`lists at most ${ACK_LIST_MAX} unacked frames but counts them all`, () => {
    const events = Array.from({ length: 30 }, (_, i) => ev.sent(i, i));
    const summary = acks(events, 100);
    assert.equal(summary.unackedFrames, 30);
    assert.equal(summary.unacked.length, ACK_LIST_MAX);
    assert.equal(summary.unacked.at(-1)?.index, ACK_LIST_MAX - 1);
  });
});

describe('RunResult.acks', () => {
  it('the plain run: every frame acked, the 500 ms wait for frame 3 its one stall', () => {
    const result = fold(completeRun());
    assert.equal(result.acks.unackedFrames, 0);
    assert.deepEqual(
      result.acks.episodes.map((e) => [e.firstFrame, e.durationMs, e.open]),
      [[3, 500, false]],
    );
  });
});
