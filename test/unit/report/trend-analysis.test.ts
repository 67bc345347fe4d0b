import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunEvent } from '../../../src/events/schema.js';
import { fit, LATENCY_WINDOWS, LatencyWindows, TrendAnalysis } from '../../../src/report/trend-analysis.js';

const MIB = 1024 * 1024;

function proc(t: number, rss: number): RunEvent {
  return { type: 'sample', t, sample: { kind: 'proc', rss, hwm: rss } };
}

function sysinfo(t: number, heaps: number[]): RunEvent {
  return {
    type: 'sample',
    t,
    sample: {
      kind: 'sysinfo',
      requestedAt: t,
      latencyMs: 1,
      rss: null,
      heapUsed: 1,
      threads: heaps.map((heapUsed, threadId) => ({ threadId, heapUsed })),
    },
  };
}

function sent(t: number): RunEvent {
  return {
    type: 'frame-sent',
    t,
    socketId: 1,
    index: 0,
    bytes: 1,
    records: 1,
    blobs: 0,
    blobBytes: 0,
    resent: false,
  };
}

describe('fit', () => {
  it('a straight line: its slope per minute and r² 1', () => {
    const points: Array<[number, number]> = Array.from({ length: 20 }, (_, i) => [
      i * 6000,
      100 * MIB + i * 0.2 * MIB,
    ]);
    const trend = fit(points)!;
    assert.equal(trend.slopeMiBPerMin, 2);
    assert.equal(trend.r2, 1);
    assert.equal(trend.points, 20);
    assert.equal(trend.spanMs, 114_000);
  });

  it('noise without a trend: r² near 0; too few points or too short a span: nothing', () => {
    const flat: Array<[number, number]> = Array.from({ length: 40 }, (_, i) => [i * 1000, (i % 2) * MIB]);
    assert.ok(fit(flat)!.r2 < 0.1);
    assert.equal(fit(flat.slice(0, 5)), null);
    assert.equal(fit(Array.from({ length: 10 }, (_, i) => [i * 100, i] as [number, number])), null);
  });
});

describe('TrendAnalysis', () => {
  it('fits RSS and the summed worker heap from the first frame sent on, thinned to 250 ms', () => {
    const analysis = new TrendAnalysis();
    analysis.sink(proc(0, 900 * MIB)); // start-up: before the load, not part of the trend
    analysis.sink(sent(1000));
    for (let t = 1000; t <= 61_000; t += 20)
      analysis.sink(proc(t, 100 * MIB + ((t - 1000) / 60_000) * 3 * MIB));
    for (let t = 1000; t <= 61_000; t += 500)
      analysis.sink(sysinfo(t, [10 * MIB, 10 * MIB - ((t - 1000) / 60_000) * MIB]));
    const { rss, heap } = analysis.summary();
    assert.ok(Math.abs(rss!.slopeMiBPerMin - 3) < 0.01, `${rss!.slopeMiBPerMin}`);
    assert.ok(rss!.points <= 241 && rss!.points >= 200, `thinned: ${rss!.points}`);
    assert.ok(Math.abs(heap!.slopeMiBPerMin + 1) < 0.01, `${heap!.slopeMiBPerMin}`);
  });

  it('ack latency by time window from the first send', () => {
    const analysis = new TrendAnalysis();
    analysis.sink(sent(0));
    for (let t = 100; t < 100_000; t += 100) {
      analysis.sink({ type: 'frame-committed', t, index: 0, records: 1, latencyMs: t < 50_000 ? 10 : 200 });
    }
    const windows = analysis.summary().ackLatencyWindows;
    assert.equal(windows.length, 10);
    assert.equal(windows[0]!.fromMs, 0);
    assert.equal(windows[0]!.toMs, 10_000);
    assert.equal(windows[0]!.p99, 10);
    assert.equal(windows.at(-1)!.p50, 200);
    assert.equal(
      windows.reduce((sum, w) => sum + w.commits, 0),
      999,
    );
    assert.equal(new TrendAnalysis().summary().rss, null);
  });
});

describe('TrendAnalysis: the load only', () => {
  it('stops at verification (its COUNT query is not the load)', () => {
    const analysis = new TrendAnalysis();
    analysis.sink(sent(0));
    for (let t = 0; t <= 10_000; t += 250) analysis.sink(proc(t, 100 * MIB));
    analysis.sink({ type: 'phase', t: 10_001, phase: 'verifying' });
    for (let t = 10_250; t <= 20_000; t += 250) analysis.sink(proc(t, 500 * MIB));
    const { rss } = analysis.summary();
    assert.equal(rss!.slopeMiBPerMin, 0);
    assert.equal(rss!.spanMs, 10_000);
  });
});

describe('LatencyWindows: bounded in a long soak', () => {
  it('a 4 h run of 1.44 M commits keeps at most 10 windows, doubled from 5 s, with exact counts and percentiles', () => {
    const windows = new LatencyWindows();
    const spanMs = 4 * 3600_000;
    // One commit every 10 ms; latency 10 ms in the first half, 100 ms in the second.
    for (let t = 0; t < spanMs; t += 10) windows.record(t, t < spanMs / 2 ? 10 : 100);
    const summary = windows.summary();
    assert.ok(summary.length <= LATENCY_WINDOWS && summary.length > LATENCY_WINDOWS / 2, `${summary.length}`);
    const widthMs = summary[0]!.toMs - summary[0]!.fromMs;
    // 5 s doubled until 10 windows span 4 h: 5 s × 2^9 = 2560 s.
    assert.equal(widthMs, 5000 * 2 ** 9);
    assert.equal(
      summary.reduce((sum, w) => sum + w.commits, 0),
      spanMs / 10,
    );
    assert.equal(summary[0]!.commits, widthMs / 10);
    assert.equal(summary[0]!.p99, 10);
    assert.equal(summary.at(-1)!.p50, 100);
  });

  it('a short run keeps 5 s windows', () => {
    const windows = new LatencyWindows();
    for (let t = 0; t < 12_000; t += 100) windows.record(t, 7);
    const summary = windows.summary();
    assert.deepEqual(
      summary.map((w) => [w.fromMs, w.toMs, w.commits]),
      [
        [0, 5000, 50],
        [5000, 10_000, 50],
        [10_000, 15_000, 20],
      ],
    );
  });
});
