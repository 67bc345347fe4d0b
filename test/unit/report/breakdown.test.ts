import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunEventInput } from '../../../src/events/metrics-bus.js';
import type { RunEvent } from '../../../src/events/schema.js';
import { EventRouter, sumVerify } from '../../../src/report/breakdown.js';
import { PauseAnalysis, unionMs } from '../../../src/report/pause-analysis.js';
import { ResultBuilder, type RunResult } from '../../../src/report/result.js';
import { formatRunSummary } from '../../../src/report/text-summary.js';

let clock = 1_000_000;
/** Stamps an event, by default 10 ms after the previous one. */
function at(event: RunEventInput, t?: number): RunEvent {
  clock = t ?? clock + 10;
  return { ...event, t: clock } as RunEvent;
}

const target = {
  nodeName: 'A',
  operationsUrl: 'http://127.0.0.1:1',
  replicationUrl: 'ws://127.0.0.1:2',
  embedded: false,
  local: false,
};
const streams = [
  { stream: 'A/data', member: 'A', database: 'data' },
  { stream: 'B/data', member: 'B', database: 'data' },
];

function meta(fanOut: boolean): RunEvent {
  return at({
    type: 'run-meta',
    meta: {
      command: 'synth',
      toolVersion: '0',
      toolNodeName: 'harper-replay-x',
      via: 'peer',
      database: 'data',
      ...(fanOut ? { fanOut: true } : {}),
      table: 't',
      workload: { frames: 2, recordsPerFrame: 10, recordSize: 100, blobSize: 0, seed: 1 },
      thresholds: [],
      pauseThresholdMs: 50,
      blockedAfterMs: 500,
    },
  });
}

/** A plain (one-stream) run: run-meta, run-start, the events `during()` gives then, run-end; its result. */
function plainRun(during: () => RunEventInput[] = () => []): RunResult {
  const builder = new ResultBuilder();
  builder.sink(meta(false));
  builder.sink(at({ type: 'run-start', frames: 2, records: 20, target, streams: [streams[0]!] }));
  for (const event of during()) builder.sink(at(event));
  builder.sink(
    at({
      type: 'run-end',
      outcome: 'complete',
      exitCode: 0,
      cleanup: { removedFromTarget: true, targetStopped: false },
    }),
  );
  return builder.build();
}

describe('event router', () => {
  it('routes samples, sockets and stream events to their member', () => {
    const router = new EventRouter();
    const events = [
      at({ type: 'run-start', frames: 4, records: 40, target, streams }),
      at({ type: 'connection', socketId: 7, event: 'streaming', remoteNodeName: 'B', stream: 'B/data' }),
    ];
    for (const e of events) router.learn(e);
    assert.equal(
      router.memberOf(
        at({ type: 'sample', sample: { kind: 'probe', requestedAt: 1, latencyMs: 1, ok: true } }),
      ),
      'A',
    );
    assert.equal(
      router.memberOf(
        at({
          type: 'sample',
          member: 'B',
          sample: { kind: 'probe', requestedAt: 1, latencyMs: 1, ok: true },
        }),
      ),
      'B',
    );
    const drain = at({ type: 'drain-wait', socketId: 7, startedAt: 1, durationMs: 99, queuedBytes: 5 });
    assert.equal(router.memberOf(drain), 'B');
    assert.equal(router.streamOf(drain), 'B/data');
    const committed = at({ type: 'frame-committed', index: 0, records: 10, latencyMs: 3, stream: 'B/data' });
    assert.equal(router.memberOf(committed), 'B');
    assert.equal(router.memberOf(at({ type: 'phase', phase: 'streaming' })), undefined, 'run-wide');
  });
});

describe('per-stream verification totals', () => {
  it('sums records; any unknown part leaves the total unknown, any failed part fails it', () => {
    assert.deepEqual(
      sumVerify([
        { expectedRecords: 5, targetRecords: 5, ok: true },
        { expectedRecords: 5, targetRecords: 4, ok: false },
      ]),
      { expectedRecords: 10, targetRecords: 9, ok: false },
    );
    assert.deepEqual(
      sumVerify([
        { expectedRecords: 5, targetRecords: 5, ok: true },
        { expectedRecords: 5, targetRecords: null, ok: null },
      ]),
      { expectedRecords: 10, targetRecords: null, ok: null },
    );
    assert.deepEqual(sumVerify([{ expectedRecords: 5, targetRecords: 5, ok: true }]), {
      expectedRecords: 5,
      targetRecords: 5,
      ok: true,
    });
  });
});

describe('result of a fan-out run', () => {
  it("keeps the target's memory apart from the other member's, and breaks commits down per stream and member", () => {
    const builder = new ResultBuilder();
    const rss = (value: number, member?: string) =>
      at({
        type: 'sample',
        ...(member ? { member } : {}),
        sample: { kind: 'sysinfo', requestedAt: clock, latencyMs: 1, rss: value, heapUsed: 1, threads: [] },
      });
    const events: RunEvent[] = [
      meta(true),
      at({
        type: 'run-start',
        frames: 4,
        records: 40,
        target,
        streams,
        members: [
          { nodeName: 'A', sampled: true },
          { nodeName: 'B', sampled: true },
        ],
      }),
      rss(100),
      rss(500, 'B'),
      at({ type: 'connection', socketId: 1, event: 'streaming', remoteNodeName: 'A', stream: 'A/data' }),
      at({ type: 'connection', socketId: 2, event: 'streaming', remoteNodeName: 'B', stream: 'B/data' }),
    ];
    for (const stream of ['A/data', 'B/data']) {
      for (const index of [0, 1]) {
        events.push(
          at({
            type: 'frame-sent',
            socketId: stream === 'A/data' ? 1 : 2,
            index,
            bytes: 100,
            records: 10,
            blobs: 0,
            blobBytes: 0,
            resent: false,
            stream,
          }),
        );
      }
    }
    events.push(rss(200), rss(900, 'B'), rss(150), rss(600, 'B'));
    events.push(at({ type: 'frame-committed', index: 0, records: 10, latencyMs: 5, stream: 'A/data' }));
    events.push(at({ type: 'frame-committed', index: 1, records: 10, latencyMs: 6, stream: 'A/data' }));
    events.push(at({ type: 'frame-committed', index: 0, records: 10, latencyMs: 7, stream: 'B/data' }));
    events.push(at({ type: 'verify', expectedRecords: 20, targetRecords: 20, ok: true, stream: 'A/data' }));
    events.push(at({ type: 'verify', expectedRecords: 20, targetRecords: 10, ok: false, stream: 'B/data' }));
    events.push(
      at({
        type: 'run-end',
        outcome: 'incomplete',
        exitCode: 3,
        cleanup: { removedFromTarget: true, targetStopped: false },
      }),
    );
    for (const e of events) builder.sink(e);
    const result = builder.build();
    assert.equal(result.memory.peakRss, 200, "the target's peak is the target's");
    const [memberA, memberB] = result.members!;
    assert.equal(memberA!.memory.peakRss, 200);
    assert.equal(memberB!.memory.peakRss, 900);
    assert.equal(memberA!.committed.records, 20);
    assert.equal(memberB!.committed.records, 10);
    assert.deepEqual(
      result.streams.map((s) => [s.stream, s.sent.frames, s.committed.frames, s.verify?.ok]),
      [
        ['A/data', 2, 2, true],
        ['B/data', 2, 1, false],
      ],
    );
    assert.equal(result.committed.records, 30, 'totals over every stream');
    assert.deepEqual(result.verify, { skipped: false, expectedRecords: 40, targetRecords: 30, ok: false });
    assert.equal(result.cluster.totals!.committedRecords, 30);
    assert.equal(result.cluster.totals!.peakRssSum, 1100);
  });

  it('a plain run has one stream and no member section', () => {
    const result = plainRun();
    assert.equal(result.streams.length, 1);
    assert.equal(result.members, undefined);
    assert.equal(result.cluster.totals, undefined);
  });
});

describe('stalls on several connections at once', () => {
  it('keeps an episode per connection even when their samples interleave', () => {
    const pauses = new PauseAnalysis(50, 500);
    const tcp = (socketId: number, targetRxQueue: number, t: number) =>
      at(
        {
          type: 'sample',
          sample: { kind: 'tcp', socketId, toolTxQueue: 1000, targetRxQueue, toolBuffered: 0 },
        },
        t,
      );
    // Socket 1 stalls from 0 to 200 ms (its queue never shrinks); socket 2 keeps draining.
    for (let t = 0; t <= 200; t += 25) {
      pauses.sink(tcp(1, 5000, t));
      pauses.sink(tcp(2, 5000 - t * 10, t + 1));
    }
    pauses.sink(tcp(1, 0, 225));
    const summary = pauses.summary(300);
    assert.equal(summary.count, 1, 'one episode: socket 1');
    assert.equal(summary.episodes[0]!.durationMs, 225);
    assert.equal(summary.wallMs, 225);
  });

  it('the summary gives the wall time beside the sum when connections stall at once', () => {
    const result = plainRun(() => [
      { type: 'drain-wait', socketId: 1, startedAt: clock, durationMs: 300, queuedBytes: 9 },
      { type: 'drain-wait', socketId: 2, startedAt: clock + 100, durationMs: 300, queuedBytes: 9 },
    ]);
    assert.deepEqual([result.pauses.totalMs, result.pauses.wallMs], [600, 400]);
    assert.match(
      formatRunSummary(result),
      /2 episodes, 600 ms in total over several connections \(400 ms of wall time with any stalled\)/,
    );
  });

  it('with several worker threads the summary warns that blocked time can be under-reported', () => {
    const run = (threads: number[][]) =>
      plainRun(() => [
        ...threads.map(
          (ids): RunEventInput => ({
            type: 'sample',
            sample: {
              kind: 'sysinfo',
              requestedAt: clock,
              latencyMs: 1,
              rss: 1,
              heapUsed: 1,
              threads: ids.map((threadId) => ({ threadId })),
            },
          }),
        ),
        { type: 'drain-wait', socketId: 1, startedAt: clock, durationMs: 200, queuedBytes: 9 },
      ]);
    const many = run([
      [1, 2, 3],
      [1, 2],
    ]);
    assert.equal(many.workers.maxThreads, 3);
    assert.match(formatRunSummary(many), /3 worker threads: the probe may be answered by an idle one/);
    const one = run([[1], [1]]);
    assert.equal(one.workers.maxThreads, 1);
    assert.doesNotMatch(formatRunSummary(one), /worker threads: the probe/);
    assert.equal(run([]).workers.maxThreads, null, 'never sampled');
  });

  it('wall time counts overlapping stalls of different connections once', () => {
    const episode = (startedAt: number, durationMs: number) => ({ startedAt, durationMs });
    assert.equal(unionMs([]), 0);
    assert.equal(unionMs([episode(0, 100), episode(50, 100), episode(300, 10)]), 160);
    assert.equal(unionMs([episode(300, 10), episode(0, 500), episode(100, 50)]), 500, 'contained, unsorted');
    assert.equal(unionMs([episode(0, 100), episode(100, 100)]), 200, 'touching');
  });
});
