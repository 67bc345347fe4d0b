import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunEvent } from '../../../src/events/schema.js';
import { PaceProgress } from '../../../src/report/pace-progress.js';

function sent(t: number, records: number, lateMs = 0): RunEvent {
  return {
    type: 'frame-sent',
    t,
    socketId: 1,
    index: 0,
    bytes: 1,
    records,
    blobs: 0,
    blobBytes: 0,
    resent: false,
    lateMs,
    stage: 0,
  };
}

describe('PaceProgress', () => {
  const schedule = {
    unit: 'rps' as const,
    stages: [
      { durationMs: 10_000, from: 0, to: 1000 },
      { durationMs: 10_000, from: 1000, to: 1000 },
    ],
  };

  it('says nothing before the first frame', () => {
    assert.equal(new PaceProgress(schedule).describe(5), '');
  });

  it('the stage, the target rate now and what was sent over the trailing window', () => {
    const pace = new PaceProgress(schedule);
    // 100 records every 100 ms from t=10,000 (the schedule started at 0: the first frame went out on time).
    pace.sink(sent(0, 100));
    for (let t = 10_000; t <= 12_000; t += 100) pace.sink(sent(t, 100));
    assert.equal(pace.describe(12_000), 'stage 2/2 target 1,000 rps, sent 1,050 rps');
    assert.equal(pace.describe(5000), 'stage 1/2 target 500 rps, sent 1,050 rps');
    assert.equal(pace.describe(30_000), 'schedule done target 0 rps, sent 0 rps');
  });

  it('frames/s schedules count frames', () => {
    const pace = new PaceProgress({ unit: 'fps', stages: [{ durationMs: 10_000, from: 2, to: 2 }] });
    for (let t = 0; t <= 2000; t += 500) pace.sink(sent(t, 100));
    assert.equal(pace.describe(2000), 'stage 1/1 target 2 fps, sent 2.5 fps');
  });
});
