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

describe('trendLines / formatSlope / replayPaceLines', () => {
  it('prints slopes with sign and fit, the first and last latency windows', async () => {
    const { formatSlope, trendLines, replayPaceLines } = await import('../../../src/report/schedule-text.js');
    assert.equal(formatSlope(1.5 * 1024 * 1024), '+1.50 MiB/min');
    assert.equal(formatSlope(-2048), '-2.00 KiB/min');
    assert.deepEqual(trendLines({ rss: null, heap: null, ackLatencyWindows: [] }), []);
    const lines = trendLines({
      rss: { slopeMiBPerMin: 1, slopeBytesPerMin: 1024 * 1024, r2: 0.93, points: 1200, spanMs: 300_000 },
      heap: null,
      ackLatencyWindows: [
        { fromMs: 0, toMs: 30_000, commits: 5, p50: 10, p99: 20 },
        { fromMs: 30_000, toMs: 60_000, commits: 5, p50: 30, p99: 40 },
      ],
    });
    assert.match(lines[2]!, /target RSS +\+1\.00 MiB\/min \(r² 0\.93, 1,200 points over 300\.00 s\)/);
    assert.match(lines[3]!, /worker heap +too few samples/);
    assert.match(lines[4]!, /first 0\.00 ms–30\.00 s p50 10 ms .*last 30\.00 s–60\.00 s p50 30 ms p99 40 ms/);
    assert.deepEqual(replayPaceLines(undefined), []);
    const pace = replayPaceLines({
      paceBy: 'txn-time',
      paceSpansMs: { arrival: 50, txnTime: 9500 },
      speed: '1x',
      behindScheduleMs: 3,
    } as never);
    assert.match(
      pace[2]!,
      /pace +1x by txn-time, at most 3\.00 ms behind it \(a pass: 9\.50 s by txn-time, 50 ms by arrival\)/,
    );
  });
});
