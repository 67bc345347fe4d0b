import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunEvent } from '../../../src/events/schema.js';
import { ScheduleAnalysis } from '../../../src/report/schedule-analysis.js';

const schedule = {
  unit: 'rps' as const,
  stages: [
    { durationMs: 2000, from: 0, to: 1000 },
    { durationMs: 2000, from: 1000, to: 1000 },
  ],
};

function sent(t: number, stage: number, records: number, lateMs: number, resent = false): RunEvent {
  return {
    type: 'frame-sent',
    t,
    socketId: 1,
    index: 0,
    bytes: 10,
    records,
    blobs: 0,
    blobBytes: 0,
    resent,
    lateMs,
    stage,
  };
}

function committed(t: number, stage: number, records: number): RunEvent {
  return { type: 'frame-committed', t, index: 0, records, latencyMs: 5, stage };
}

describe('ScheduleAnalysis', () => {
  it('intended, sent and committed per stage and overall, as records/s over each stage', () => {
    const analysis = new ScheduleAnalysis(schedule, 100);
    for (let i = 0; i < 10; i++) analysis.sink(sent(1000 + i * 200, 0, 100, 2));
    for (let i = 0; i < 20; i++) analysis.sink(sent(3000 + i * 100, 1, 100, 3));
    analysis.sink(sent(3100, 1, 100, 0, true));
    for (let i = 0; i < 9; i++) analysis.sink(committed(1500 + i * 200, 0, 100));
    for (let i = 0; i < 20; i++) analysis.sink(committed(3500 + i * 100, 1, 100));
    const summary = analysis.summary();
    assert.equal(summary.stages.length, 2);
    const [ramp, hold] = summary.stages;
    assert.equal(ramp!.intendedRecords, 1000);
    assert.equal(ramp!.sentRecords, 1000);
    assert.equal(ramp!.committedRecords, 900);
    assert.equal(ramp!.intendedRecordsPerSec, 500);
    assert.equal(ramp!.committedRecordsPerSec, 450);
    assert.equal(hold!.intendedRecords, 2000);
    assert.equal(hold!.sentRecords, 2000, 'a resent frame is not sent twice');
    assert.equal(hold!.label, '2s at 1,000 rps');
    assert.equal(summary.overall.intendedRecords, 3000);
    assert.equal(summary.overall.sentRecords, 3000);
    assert.equal(summary.overall.committedRecords, 2900);
    assert.equal(summary.overall.lagMaxMs, 3);
    assert.equal(summary.overall.heldBackBy, null);
    assert.equal(summary.note, null);
  });

  it('frames/s schedules count records through the records per frame, times the streams', () => {
    const analysis = new ScheduleAnalysis(
      { unit: 'fps', stages: [{ durationMs: 1000, from: 4, to: 4 }] },
      50,
    );
    analysis.sink({
      type: 'run-start',
      t: 0,
      frames: 4,
      records: 200,
      target: {} as never,
      streams: [{}, {}] as never,
    });
    assert.equal(analysis.summary().overall.intendedRecords, 400);
  });

  it('behind schedule with the socket free: the tool held it back, and the note says so', () => {
    const analysis = new ScheduleAnalysis(schedule, 100);
    for (let i = 0; i < 20; i++) analysis.sink(sent(1000 + i * 300, i < 10 ? 0 : 1, 100, i * 50));
    const summary = analysis.summary();
    assert.equal(summary.overall.heldBackBy, 'tool');
    assert.equal(summary.stages[1]!.heldBackBy, 'tool');
    assert.match(summary.note!, /the tool itself fell behind schedule .*stage 2/);
  });

  it('behind schedule while the socket waited on the target: the target held it back', () => {
    const analysis = new ScheduleAnalysis(schedule, 100);
    analysis.sink(sent(1000, 0, 100, 0));
    analysis.sink({
      type: 'drain-wait',
      t: 3500,
      socketId: 1,
      startedAt: 2000,
      durationMs: 1500,
      queuedBytes: 9,
    });
    for (let i = 1; i < 20; i++) analysis.sink(sent(1000 + i * 300, i < 10 ? 0 : 1, 100, 500));
    const summary = analysis.summary();
    assert.equal(summary.stages[0]!.drainWaitMs, 1000, 'the wait is clipped to the stage');
    assert.equal(summary.stages[1]!.drainWaitMs, 500);
    assert.equal(summary.stages[0]!.heldBackBy, 'target');
    assert.equal(summary.overall.heldBackBy, 'target');
    assert.match(summary.note!, /the target held the sender behind schedule/);
  });
});
