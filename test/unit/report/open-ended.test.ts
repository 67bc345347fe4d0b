import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunEvent } from '../../../src/events/schema.js';
import { describeOpenEnded, OpenEndedClock, runTotals } from '../../../src/report/open-ended.js';
import { formatRunSummary } from '../../../src/report/text-summary.js';
import { ev, fold, runMeta, STREAM, T0 } from './support.js';

const openMeta = { workload: { ...runMeta().workload, frames: 0, openEnded: { durationMs: 6000 } } };

/** An open-ended run: frames 0…2 sent (frame 1 twice, after a reconnect), `committed` of them committed. */
function openRun(committed: number, verified?: number): RunEvent[] {
  const events: RunEvent[] = [
    ev.meta(0, openMeta),
    ev.start(100, { frames: 0, records: 0, streams: [STREAM] }),
    ev.sent(1000, 0),
    ev.sent(2000, 1),
    ev.sent(3000, 1, { resent: true }),
    ev.sent(6000, 2),
  ];
  for (let i = 0; i < committed; i++) events.push(ev.committed(6500 + i, i, 100));
  if (verified !== undefined) events.push(ev.verify(7000, 30, verified));
  events.push(ev.end(8000));
  return events;
}

describe('open-ended results', () => {
  it('a planned run keeps its planned totals', () => {
    const totals = runTotals(
      runMeta(),
      { frames: 8, records: 80, streams: 2 },
      {
        frames: 3,
        records: 30,
        bytes: 0,
        blobs: 0,
        blobBytes: 0,
        resentFrames: 0,
      },
    );
    assert.equal(totals.frames, 8);
    assert.equal(totals.records, 80);
    assert.equal(totals.workload.frames, 4);
    assert.equal(totals.workload.totalRecords, 80);
    assert.equal(totals.workload.openEnded, undefined);
  });

  it('an open-ended run is judged by the frames it sent (each once), none being planned', () => {
    const result = fold(openRun(3, 30));
    assert.equal(result.workload.frames, 3);
    assert.equal(result.workload.totalRecords, 30);
    assert.deepEqual(result.workload.openEnded, { durationMs: 6000, plannedFrames: null, sentFrames: 3 });
    assert.equal(result.sent.frames, 4, 'the resend is in what was sent');
    assert.equal(result.committed.allFrames, true);
    assert.equal(result.verify.ok, true);
  });

  it('a frame sent and never committed leaves the run short; skipped verification expects the records sent', () => {
    const result = fold(openRun(2));
    assert.equal(result.committed.allFrames, false);
    assert.equal(result.verify.skipped, true);
    assert.equal(result.verify.expectedRecords, 30);
  });

  it('several streams: the workload counts one stream’s frames', () => {
    const other = { ...STREAM, stream: 'node-a/other', database: 'other' };
    const events: RunEvent[] = [
      ev.meta(0, openMeta),
      ev.start(100, { frames: 0, records: 0, streams: [STREAM, other] }),
      ev.sent(1000, 0),
      ev.sent(1000, 0, { stream: other.stream }),
      ev.sent(2000, 1),
      ev.sent(2000, 1, { stream: other.stream }),
      ev.end(3000),
    ];
    const result = fold(events);
    assert.equal(result.workload.frames, 2);
    assert.equal(result.workload.openEnded?.sentFrames, 2);
    assert.equal(result.workload.totalRecords, 40);
  });

  it('the summary says it was open-ended, for how long, and the frames sent', () => {
    const text = formatRunSummary(fold(openRun(3, 30)));
    assert.match(text, /workload +3 frames × 10 records × 100 B/);
    assert.match(
      text,
      /pace +open-ended, 6\.00 s as fast as the target read: 3 frames sent \(none planned\)/,
    );
    assert.equal(
      describeOpenEnded({ durationMs: 60_000, maxFrames: 500, plannedFrames: null, sentFrames: 500 }),
      'open-ended, 60.00 s or 500 frames as fast as the target read: 500 frames sent (none planned)',
    );
    assert.doesNotMatch(formatRunSummary(fold([ev.meta(0), ev.start(1), ev.end(2)])), /open-ended/);
  });
});

describe('OpenEndedClock', () => {
  it('from the first frame sent: the time gone and the time left, then time up', () => {
    const clock = new OpenEndedClock(6000);
    assert.equal(clock.describe(T0), '');
    assert.equal(clock.elapsedMs(T0 + 50), 0);
    clock.sink(ev.sent(1000, 0));
    clock.sink(ev.sent(1500, 1));
    assert.equal(clock.elapsedMs(T0 + 4200), 3200);
    assert.equal(clock.describe(T0 + 4200), 'elapsed 3.20 s of 6.00 s, 2.80 s left');
    assert.equal(clock.elapsedMs(T0 + 9000), 6000, 'never past the run’s time');
    assert.equal(clock.describe(T0 + 7000), 'time up (6.00 s)');
  });
});
