import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunEventInput } from '../../../src/events/metrics-bus.js';
import type { RunEvent } from '../../../src/events/schema.js';
import { SeriesCollector } from '../../../src/report/series.js';

const origin = 5_000_000;
const at = (event: RunEventInput, ms: number): RunEvent => ({ ...event, t: origin + ms }) as RunEvent;
const target = {
  nodeName: 'A',
  operationsUrl: 'http://127.0.0.1:1',
  replicationUrl: 'ws://127.0.0.1:2',
  embedded: false,
  local: true,
};
const sysinfo = (rss: number, heap: number) => ({
  kind: 'sysinfo' as const,
  requestedAt: 0,
  latencyMs: 1,
  rss,
  heapUsed: heap,
  threads: [{ threadId: 1, heapUsed: heap }],
});

describe('SeriesCollector', () => {
  it('bins sent and committed records from run-start, and keeps /proc peaks per bin', () => {
    const collector = new SeriesCollector(100);
    const events = [
      at({ type: 'sample', sample: { kind: 'proc', rss: 1, hwm: 1 } }, -50),
      at({ type: 'run-start', frames: 2, records: 20, target }, 0),
      at(
        {
          type: 'frame-sent',
          socketId: 1,
          index: 0,
          bytes: 1,
          records: 10,
          blobs: 0,
          blobBytes: 0,
          resent: false,
        },
        20,
      ),
      at({ type: 'sample', sample: { kind: 'proc', rss: 300, hwm: 300 } }, 30),
      at({ type: 'sample', sample: { kind: 'proc', rss: 200, hwm: 300 } }, 60),
      at(
        {
          type: 'frame-sent',
          socketId: 1,
          index: 1,
          bytes: 1,
          records: 10,
          blobs: 0,
          blobBytes: 0,
          resent: false,
        },
        150,
      ),
      at({ type: 'frame-committed', index: 0, records: 10, latencyMs: 180 }, 200),
      at({ type: 'frame-committed', index: 1, records: 10, latencyMs: 60 }, 210),
    ];
    for (const e of events) collector.sink(e);
    const series = collector.series();
    assert.equal(series.origin, origin);
    assert.deepEqual(series.sentRecords, [10, 10]);
    assert.deepEqual(series.committedRecords, [0, 0, 20]);
    assert.deepEqual(
      series.procRss,
      [300],
      'the sample before run-start is not charted; the bin keeps its max',
    );
    // Two acks, 60 and 180 ms: the first bar and the last of 30 equal-width bars between them.
    assert.equal(series.ackLatency.frames, 2);
    assert.equal(series.ackLatency.counts.length, 30);
    assert.equal(series.ackLatency.counts[0], 1);
    assert.equal(series.ackLatency.counts[29], 1);
    assert.equal(series.ackLatency.barMs[0], 62);
    assert.equal(series.firstSendMs, 20);
    assert.equal(series.members, undefined, 'no member section without --fan-out');
  });

  it("--fan-out: another member's samples stay out of the target's chart; commits are broken down per member", () => {
    const collector = new SeriesCollector(100);
    const streams = [
      { stream: 'A/data', member: 'A', database: 'data' },
      { stream: 'B/data', member: 'B', database: 'data' },
      { stream: 'C/data', member: 'C', database: 'data' },
    ];
    const members = [
      { nodeName: 'A', sampled: true },
      { nodeName: 'B', sampled: true },
      { nodeName: 'C', sampled: false },
    ];
    const events = [
      at({ type: 'run-start', frames: 6, records: 60, target, streams, members }, 0),
      at({ type: 'sample', sample: sysinfo(100, 10) }, 50),
      at({ type: 'sample', member: 'B', sample: sysinfo(900, 90) }, 60),
      at({ type: 'frame-committed', index: 0, records: 10, latencyMs: 5, stream: 'A/data' }, 120),
      at({ type: 'frame-committed', index: 0, records: 10, latencyMs: 5, stream: 'B/data' }, 130),
      at({ type: 'frame-committed', index: 1, records: 10, latencyMs: 5, stream: 'B/data' }, 250),
    ];
    for (const e of events) collector.sink(e);
    const series = collector.series();
    assert.deepEqual(
      series.sysinfo.map((p) => p.rss),
      [100],
      "the target's chart has the target's answers only",
    );
    assert.deepEqual(
      series.members?.map((m) => [m.nodeName, m.sampled, m.sysinfo.map((p) => p.rss), m.committedRecords]),
      [
        ['A', true, [100], [0, 10]],
        ['B', true, [900], [0, 10, 10]],
        ['C', false, [], []],
      ],
    );
    assert.deepEqual(series.committedRecords, [0, 20, 10], 'the run total is every member');
  });
});

describe('SeriesCollector: cluster_status', () => {
  it('keeps each link per answer (members named as in the result), null for fields the answer lacked', () => {
    const collector = new SeriesCollector(100);
    const sample = (links: Array<Record<string, unknown>>, requestedAt: number) => ({
      kind: 'cluster-status' as const,
      requestedAt,
      latencyMs: 1,
      ok: true,
      links: links as never,
    });
    for (const event of [
      at({ type: 'run-start', frames: 1, records: 1, target }, 0),
      at(
        {
          type: 'sample',
          sample: sample([{ node: 'B', database: 'd', backPressurePercent: 7 }], origin + 990),
        },
        1000,
      ),
      at(
        {
          type: 'sample',
          member: 'C',
          sample: sample([{ node: 'B', database: 'd', lastReceivedVersion: origin + 1500 }], origin + 2000),
        },
        2000,
      ),
    ])
      collector.sink(event);
    assert.deepEqual(collector.series().clusterLinks, [
      { link: 'B/d', points: [{ t: 1000, backPressurePercent: 7, versionAgeMs: null }] },
      { link: 'C → B/d', points: [{ t: 2000, backPressurePercent: null, versionAgeMs: 500 }] },
    ]);
  });
});
