import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScheduleAnalysis } from '../../../src/report/schedule-analysis.js';
import { scheduleLines } from '../../../src/report/schedule-text.js';

describe('scheduleLines', () => {
  it('nothing for an unscheduled run', () => {
    assert.deepEqual(scheduleLines(null), []);
  });

  it('one line per stage, the overall line, and the note when behind', () => {
    const analysis = new ScheduleAnalysis(
      { unit: 'rps', stages: [{ durationMs: 1000, from: 100, to: 100 }] },
      10,
    );
    for (let i = 0; i < 5; i++) {
      analysis.sink({
        type: 'frame-sent',
        t: i * 200,
        socketId: 1,
        index: i,
        bytes: 1,
        records: 10,
        blobs: 0,
        blobBytes: 0,
        resent: false,
        lateMs: i * 300,
        stage: 0,
      });
    }
    const lines = scheduleLines(analysis.summary());
    assert.match(lines[1]!, /achieved vs intended/);
    assert.match(
      lines[2]!,
      /stage 1 +1s at 100 rps: 100 → 50 \(50 %\), 0 committed; lag p99 1\.20 s max 1\.20 s, held back by the tool/,
    );
    assert.match(lines[3]!, /overall +100 → 50/);
    assert.match(lines[4]!, /behind schedule +the tool itself fell behind/);
  });
});
