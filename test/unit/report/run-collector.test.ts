import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { RunEvent } from '../../../src/events/schema.js';
import { RunCollector } from '../../../src/report/run-collector.js';
import { assertNear, ev, T0 } from './support.js';

const collect = (events: RunEvent[]) => {
  const collector = new RunCollector();
  for (const event of events) collector.sink(event);
  return collector;
};

describe('RunCollector: sent', () => {
  it('sums frames, records, bytes and blobs; counts resent frames; keeps the first and last send', () => {
    const collector = collect([
      ev.sent(1000, 0, { records: 10, bytes: 1000 }),
      ev.sent(1100, 1, { records: 20, bytes: 3000, blobs: 2, blobBytes: 65_536 }),
      ev.sent(1300, 1, { records: 20, bytes: 3000, blobs: 2, blobBytes: 65_536, resent: true }),
      ev.sent(1400, 2, { records: 5, bytes: 500 }),
    ]);
    assert.deepEqual(collector.sent, {
      frames: 4,
      records: 55,
      bytes: 7500,
      blobs: 4,
      blobBytes: 131_072,
      resentFrames: 1,
    });
    assert.equal(collector.firstSendAt, T0 + 1000);
    assert.equal(collector.lastSendAt, T0 + 1400);
  });

  it('behindScheduleMs is the most any frame was late; absent when no frame carries a schedule', () => {
    assert.equal(collect([ev.sent(0, 0), ev.sent(10, 1)]).behindScheduleMs, undefined);
    assert.equal(collect([ev.sent(0, 0, { lateMs: 0 })]).behindScheduleMs, 0);
    assert.equal(
      collect([ev.sent(0, 0, { lateMs: 3 }), ev.sent(10, 1, { lateMs: 35 }), ev.sent(20, 2, { lateMs: 12 })])
        .behindScheduleMs,
      35,
    );
  });

  it('property: the totals are the sums of the frames', () => {
    const frame = fc.record({
      records: fc.nat({ max: 1000 }),
      bytes: fc.nat({ max: 10_000_000 }),
      blobs: fc.nat({ max: 5 }),
      blobBytes: fc.nat({ max: 1_000_000 }),
      resent: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 50 }), (frames) => {
        const collector = collect(frames.map((f, i) => ev.sent(i * 10, i, f)));
        const sum = (key: 'records' | 'bytes' | 'blobs' | 'blobBytes') =>
          frames.reduce((total, f) => total + f[key], 0);
        assert.deepEqual(collector.sent, {
          frames: frames.length,
          records: sum('records'),
          bytes: sum('bytes'),
          blobs: sum('blobs'),
          blobBytes: sum('blobBytes'),
          resentFrames: frames.filter((f) => f.resent).length,
        });
        assert.equal(collector.firstSendAt, frames.length ? T0 : undefined);
        assert.equal(collector.lastSendAt, frames.length ? T0 + (frames.length - 1) * 10 : undefined);
      }),
    );
  });
});

describe('RunCollector: acks and commits', () => {
  it('acks are counted apart from commits (the target coalesces acks)', () => {
    const collector = collect([
      ev.committed(1100, 0, 100),
      ev.committed(1400, 1, 150),
      ev.ack(1400, 2),
      ev.committed(1700, 2, 200),
      ev.committed(2500, 3, 500, 7),
      ev.ack(2500, 4),
    ]);
    const committed = collector.committed;
    assert.equal(committed.frames, 4);
    assert.equal(committed.records, 37);
    assert.equal(committed.acks, 2);
    assert.equal(collector.lastCommitAt, T0 + 2500);
    assert.equal(committed.ackLatencyMs.count, 4);
    // Four latencies: the median is the 2nd (150), p99 and max the 4th (500).
    assertNear(committed.ackLatencyMs.p50, 150, 'p50');
    assertNear(committed.ackLatencyMs.p99, 500, 'p99');
    assertNear(committed.ackLatencyMs.max, 500, 'max');
  });

  it('p99 of 1..100 ms is 99 ms, p50 50 ms', () => {
    const collector = collect(Array.from({ length: 100 }, (_, i) => ev.committed(i, i, i + 1)));
    assertNear(collector.committed.ackLatencyMs.p50, 50, 'p50');
    assertNear(collector.committed.ackLatencyMs.p99, 99, 'p99');
    assertNear(collector.committed.ackLatencyMs.max, 100, 'max');
  });

  it('no commits: zero counts and null latencies', () => {
    const collector = collect([ev.sent(0, 0), ev.ack(10, null)]);
    assert.deepEqual(collector.committed, {
      frames: 0,
      records: 0,
      acks: 1,
      ackLatencyMs: { count: 0, p50: null, p99: null, max: null },
    });
    assert.equal(collector.lastCommitAt, undefined);
  });

  it('a commit without a usable latency is committed but not in the latency distribution', () => {
    const collector = collect([
      ev.committed(0, 0, 40),
      ev.committed(10, 1, Number.NaN),
      ev.committed(20, 2, -1),
    ]);
    assert.equal(collector.committed.frames, 3);
    assert.equal(collector.committed.ackLatencyMs.count, 1);
    assertNear(collector.committed.ackLatencyMs.max, 40);
  });
});

describe('RunCollector: drain waits, resumes, warnings', () => {
  it('sums drain waits and keeps the longest', () => {
    const collector = collect([
      ev.drain(100, 50, 50, 10),
      ev.drain(400, 100, 300, 10),
      ev.drain(500, 480, 20, 10),
    ]);
    assert.deepEqual(collector.drain, { waits: 3, totalMs: 370, longestMs: 300 });
  });

  it('counts resumes and keeps warnings in order', () => {
    const collector = collect([
      ev.warning(0, 'first'),
      ev.resume(10, 3),
      ev.warning(20, 'second'),
      ev.resume(30, 5),
    ]);
    assert.equal(collector.resumes, 2);
    assert.deepEqual(collector.warnings, ['first', 'second']);
  });
});

describe('RunCollector: connections', () => {
  it('follows each socket from named to loaded or ignored, and records how it closed', () => {
    const collector = collect([
      ev.connection(100, 1, 'named', { remoteNodeName: 'node-a' }),
      ev.connection(110, 1, 'subscribed', { database: 'data' }),
      ev.streaming(120, 1),
      ev.connection(130, 2, 'named', { remoteNodeName: 'node-b' }),
      ev.connection(140, 2, 'ignored'),
      ev.connection(150, 3, 'named'),
      ev.connection(2000, 1, 'closed', { code: 1006, reason: 'gone' }),
    ]);
    assert.deepEqual(collector.connections.get(1), {
      socketId: 1,
      remoteNodeName: 'node-a',
      database: 'data',
      role: 'loaded',
      openedAt: T0 + 100,
      startTime: 0,
      closedAt: T0 + 2000,
      closeCode: 1006,
      closeReason: 'gone',
    });
    assert.deepEqual(collector.connections.get(2), {
      socketId: 2,
      remoteNodeName: 'node-b',
      role: 'ignored',
      openedAt: T0 + 130,
    });
    assert.deepEqual(collector.connections.get(3), { socketId: 3, role: 'other', openedAt: T0 + 150 });
  });

  it('otherMembers: the names of ignored connections, once each; loaded and nameless ones are not', () => {
    const collector = collect([
      ev.streaming(100, 1),
      ev.connection(110, 2, 'ignored', { remoteNodeName: 'node-b' }),
      ev.connection(120, 3, 'ignored', { remoteNodeName: 'node-c' }),
      ev.connection(130, 4, 'ignored', { remoteNodeName: 'node-b' }),
      ev.connection(140, 5, 'ignored'),
    ]);
    assert.deepEqual(collector.otherMembers, ['node-b', 'node-c']);
  });
});
