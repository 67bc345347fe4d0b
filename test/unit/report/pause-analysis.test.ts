import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { RunEvent } from '../../../src/events/schema.js';
import { PauseAnalysis, unionMs } from '../../../src/report/pause-analysis.js';
import { at, ev, T0 } from './support.js';

const feed = (analysis: PauseAnalysis, events: RunEvent[]) => {
  for (const event of events) analysis.sink(event);
  return analysis;
};

/**
 * The tool's send queue drains into the target's receive queue at 1000 ms, then nothing moves until 1600 ms:
 * samples every 100 ms in between show the same queues (5000 B in the target's receive queue, 1000 B in the tool's
 * send queue, 2000 B in the tool's buffer). At 1700 ms every queue is empty.
 */
const stall1000to1600 = (socketId = 1, offset = 0): RunEvent[] => [
  ev.tcp(900 + offset, socketId, { rx: 0, tx: 9000, buffered: 2000 }),
  ev.tcp(1000 + offset, socketId, { rx: 5000, tx: 1000, buffered: 2000 }),
  ...[1100, 1200, 1300, 1400, 1500].map((ms) =>
    ev.tcp(ms + offset, socketId, { rx: 5000, tx: 1000, buffered: 2000 }),
  ),
  ev.tcp(1600 + offset, socketId, { rx: 4000, tx: 1000, buffered: 2000 }),
  ev.tcp(1700 + offset, socketId, { rx: 0, tx: 0, buffered: 0 }),
];

/** Probes every 100 ms from `fromMs` to `toMs`, each answered in 5 ms. */
const promptProbes = (fromMs: number, toMs: number): RunEvent[] => {
  const probes: RunEvent[] = [];
  for (let ms = fromMs; ms <= toMs; ms += 100) probes.push(ev.probe(ms, 5));
  return probes;
};

describe('PauseAnalysis: kernel queue stalls', () => {
  it('a stall from t=1000 (last progress) to t=1600 (first progress) is one episode of 600 ms', () => {
    const summary = feed(new PauseAnalysis(50, 500), [
      ...stall1000to1600(),
      ...promptProbes(900, 1700),
    ]).summary(T0 + 1800);
    assert.deepEqual(summary.episodes, [
      {
        startedAt: T0 + 1000,
        durationMs: 600,
        bytesQueued: 8000,
        source: 'kernel',
        cause: 'flow-control',
        blockedFraction: 0,
      },
    ]);
    assert.equal(summary.count, 1);
    assert.equal(summary.totalMs, 600);
    assert.equal(summary.wallMs, 600);
    assert.equal(summary.longestMs, 600);
    assert.equal(summary.flowControlMs, 600, 'the target answered every probe within 5 ms');
    assert.equal(summary.blockedMs, 0);
    assert.equal(summary.source, 'kernel');
    assert.equal(summary.thresholdMs, 50);
    assert.equal(summary.blockedAfterMs, 500);
  });

  it('the most bytes waiting during the episode is its queue size', () => {
    const summary = feed(new PauseAnalysis(50, 500), [
      ev.tcp(0, 1, { rx: 100, tx: 0, buffered: 0 }),
      ev.tcp(100, 1, { rx: 100, tx: 500, buffered: 0 }),
      ev.tcp(200, 1, { rx: 100, tx: 500, buffered: 9000 }),
      ev.tcp(300, 1, { rx: 100, tx: 500, buffered: 9000 }),
      ev.tcp(400, 1, { rx: 50, tx: 500, buffered: 9000 }),
    ]).summary(T0 + 500);
    assert.equal(summary.count, 1);
    assert.equal(summary.episodes[0]!.bytesQueued, 100 + 500 + 9000);
    assert.equal(summary.episodes[0]!.durationMs, 400);
  });

  // The sample at 100 ms against the one at 0 ms decides; the sample at 200 ms (empty queues) ends any stall.
  const cases: Array<{
    name: string;
    before: { rx: number; tx: number; buffered: number };
    after: { rx: number; tx: number; buffered: number };
    stalled: boolean;
  }> = [
    {
      name: 'nothing moved, bytes wait in the target',
      before: { rx: 10, tx: 20, buffered: 30 },
      after: { rx: 10, tx: 20, buffered: 30 },
      stalled: true,
    },
    {
      name: "more arrived in the target's queue, none read",
      before: { rx: 10, tx: 20, buffered: 30 },
      after: { rx: 15, tx: 20, buffered: 30 },
      stalled: true,
    },
    {
      name: "the tool's send queue grew",
      before: { rx: 10, tx: 20, buffered: 30 },
      after: { rx: 10, tx: 25, buffered: 30 },
      stalled: true,
    },
    {
      name: "nothing waits in the target's queue",
      before: { rx: 0, tx: 20, buffered: 30 },
      after: { rx: 0, tx: 20, buffered: 30 },
      stalled: false,
    },
    {
      name: 'the target read from its queue',
      before: { rx: 10, tx: 20, buffered: 30 },
      after: { rx: 9, tx: 20, buffered: 30 },
      stalled: false,
    },
    {
      name: "the tool's send queue shrank",
      before: { rx: 10, tx: 20, buffered: 30 },
      after: { rx: 10, tx: 19, buffered: 30 },
      stalled: false,
    },
    {
      name: "the tool's buffer shrank",
      before: { rx: 10, tx: 20, buffered: 30 },
      after: { rx: 10, tx: 20, buffered: 29 },
      stalled: false,
    },
  ];
  for (const { name, before, after, stalled } of cases) {
    it(`${stalled ? 'stall' : 'progress'}: ${name}`, () => {
      const summary = feed(new PauseAnalysis(50, 500), [
        ev.tcp(0, 1, before),
        ev.tcp(100, 1, after),
        ev.tcp(200, 1, { rx: 0, tx: 0, buffered: 0 }),
      ]).summary(T0 + 300);
      assert.equal(summary.count, stalled ? 1 : 0);
      if (stalled) assert.equal(summary.episodes[0]!.durationMs, 200);
    });
  }

  const thresholds: Array<{ thresholdMs: number; stallMs: number; counted: boolean }> = [
    { thresholdMs: 50, stallMs: 40, counted: false },
    { thresholdMs: 50, stallMs: 50, counted: false },
    { thresholdMs: 50, stallMs: 60, counted: true },
    { thresholdMs: 100, stallMs: 100, counted: false },
    { thresholdMs: 100, stallMs: 110, counted: true },
    { thresholdMs: 0, stallMs: 20, counted: true },
  ];
  for (const { thresholdMs, stallMs, counted } of thresholds) {
    it(`threshold ${thresholdMs} ms: a ${stallMs} ms stall is ${counted ? '' : 'not '}an episode (longer than, not equal)`, () => {
      const events = [ev.tcp(0, 1, { rx: 10 })];
      for (let ms = 10; ms < stallMs; ms += 10) events.push(ev.tcp(ms, 1, { rx: 10 }));
      events.push(ev.tcp(stallMs, 1, { rx: 0 }));
      const summary = feed(new PauseAnalysis(thresholdMs, 500), events).summary(T0 + stallMs + 100);
      assert.deepEqual(
        summary.episodes.map((e) => e.durationMs),
        counted ? [stallMs] : [],
      );
    });
  }

  it('events without a tcp sample do not create kernel episodes', () => {
    const summary = feed(new PauseAnalysis(50, 500), [
      at(0, { type: 'phase', phase: 'streaming' }),
      ev.proc(10, 100),
      ev.probe(20, 5),
    ]).summary(T0 + 100);
    assert.equal(summary.source, 'none');
  });

  it('a stall still open at the end of the run lasts until the end', () => {
    const events = [ev.tcp(1000, 1, { rx: 10 }), ev.tcp(1100, 1, { rx: 10 }), ev.tcp(1500, 1, { rx: 10 })];
    const summary = feed(new PauseAnalysis(50, 500), events).summary(T0 + 2000);
    assert.deepEqual(
      summary.episodes.map((e) => [e.startedAt - T0, e.durationMs]),
      [[1000, 1000]],
    );
  });

  it('a connection that closes while stalled ends its episode at the close, not at the end of the run', () => {
    const events = [
      ev.tcp(1000, 1, { rx: 10 }),
      ev.tcp(1100, 1, { rx: 10 }),
      ev.tcp(1500, 1, { rx: 10 }),
      at(1700, { type: 'connection', socketId: 1, event: 'closed', code: 1006, reason: '' }),
    ];
    const summary = feed(new PauseAnalysis(50, 500), events).summary(T0 + 5000);
    assert.deepEqual(
      summary.episodes.map((e) => [e.startedAt - T0, e.durationMs]),
      [[1000, 700]],
    );
  });

  it('stalls of several connections: the sum counts each, the wall time counts overlaps once', () => {
    // Socket 1 stalls 1000..1600, socket 2 1300..2000 (the same shape 300 ms later, plus 100 ms more).
    const socket2 = [
      ev.tcp(1200, 2, { rx: 8000 }),
      ev.tcp(1300, 2, { rx: 5000 }),
      ...[1400, 1500, 1600, 1700, 1800, 1900].map((ms) => ev.tcp(ms, 2, { rx: 5000 })),
      ev.tcp(2000, 2, { rx: 0 }),
    ];
    const events = [...stall1000to1600(1), ...socket2].sort((a, b) => a.t - b.t);
    const summary = feed(new PauseAnalysis(50, 500), events).summary(T0 + 2100);
    assert.deepEqual(
      summary.episodes.map((e) => [e.startedAt - T0, e.durationMs]),
      [
        [1000, 600],
        [1300, 700],
      ],
    );
    assert.equal(summary.totalMs, 1300);
    assert.equal(summary.wallMs, 1000, 'from 1000 to 2000');
    assert.equal(summary.longestMs, 700);
  });

  it('two stalls of one connection are two episodes, in time order', () => {
    const events = [...stall1000to1600(1), ...stall1000to1600(1, 2000)];
    const summary = feed(new PauseAnalysis(50, 500), events).summary(T0 + 4000);
    assert.deepEqual(
      summary.episodes.map((e) => [e.startedAt - T0, e.durationMs]),
      [
        [1000, 600],
        [3000, 600],
      ],
    );
    assert.deepEqual([summary.totalMs, summary.wallMs], [1200, 1200]);
  });
});

describe('PauseAnalysis: blocked or flow control (the probe)', () => {
  // The episode runs 1000..1600: the probe is checked every 10 ms from 1000 to 1590 (60 steps).
  const episodeWith = (probes: RunEvent[], blockedAfterMs = 100) =>
    feed(new PauseAnalysis(50, blockedAfterMs), [...stall1000to1600(), ...probes]).summary(T0 + 1800);

  it('a probe left unanswered for the whole stall makes it "blocked" for the part past blockedAfterMs', () => {
    // Asked at 1000, answered at 1600; blocked once waiting longer than 100 ms: steps 1110..1590 = 49 of 60.
    const summary = episodeWith([ev.probe(900, 5), ev.probe(1000, 600)]);
    const [episode] = summary.episodes;
    assert.equal(episode!.cause, 'blocked');
    assert.equal(episode!.blockedFraction, Math.round((49 / 60) * 100) / 100);
    assert.equal(summary.blockedMs, Math.round((600 * 49) / 60));
    assert.equal(summary.flowControlMs, 600 - Math.round((600 * 49) / 60));
    assert.equal(summary.blockedMs + summary.flowControlMs, summary.totalMs);
  });

  // Asked at 1000 and answered `latencyMs` later: blocked steps are 1110 ≤ at < 1000 + latency.
  const latencies: Array<{ latencyMs: number; blockedSteps: number; cause: 'blocked' | 'flow-control' }> = [
    { latencyMs: 50, blockedSteps: 0, cause: 'flow-control' },
    { latencyMs: 100, blockedSteps: 0, cause: 'flow-control' },
    { latencyMs: 400, blockedSteps: 29, cause: 'flow-control' },
    { latencyMs: 410, blockedSteps: 30, cause: 'blocked' },
    { latencyMs: 420, blockedSteps: 31, cause: 'blocked' },
    { latencyMs: 5000, blockedSteps: 49, cause: 'blocked' },
  ];
  for (const { latencyMs, blockedSteps, cause } of latencies) {
    it(`a probe answered after ${latencyMs} ms: ${blockedSteps} of 60 steps blocked → ${cause}`, () => {
      const summary = episodeWith([ev.probe(1000, latencyMs)]);
      assert.equal(summary.episodes[0]!.cause, cause);
      assert.equal(summary.episodes[0]!.blockedFraction, Math.round((blockedSteps / 60) * 100) / 100);
      assert.equal(summary.blockedMs, Math.round((600 * blockedSteps) / 60));
      assert.equal(summary.flowControlMs, 600 - summary.blockedMs);
    });
  }

  it('a failed probe counts as blocked for 300 ms after its answer, until the next probe is asked', () => {
    // Failed at 1020; the next probe is asked at 1400: blocked steps 1000..1320 = 33 of 60.
    const summary = episodeWith([ev.probe(1000, 20, false), ev.probe(1400, 5)]);
    assert.equal(summary.episodes[0]!.cause, 'blocked');
    assert.equal(summary.episodes[0]!.blockedFraction, 0.55);
    assert.equal(summary.blockedMs, 330);
    assert.equal(summary.flowControlMs, 270);
  });

  it('the probes are read in the order they were asked, whatever order their answers came in', () => {
    const probes = [ev.probe(900, 5), ev.probe(1000, 600), ev.probe(1610, 5)];
    const inOrder = episodeWith(probes);
    const reversed = episodeWith([...probes].reverse());
    assert.deepEqual(reversed, inOrder);
    assert.equal(reversed.episodes[0]!.cause, 'blocked');
  });

  it('without any probe a stall is flow control (nothing says the target was unresponsive)', () => {
    const summary = episodeWith([]);
    assert.equal(summary.episodes[0]!.cause, 'flow-control');
    assert.deepEqual([summary.flowControlMs, summary.blockedMs], [600, 0]);
  });
});

describe('PauseAnalysis: drain waits (remote target)', () => {
  it('without kernel samples the drain waits longer than the threshold are the episodes, sorted by start', () => {
    const summary = feed(new PauseAnalysis(50, 500), [
      ev.drain(3100, 3000, 51, 700),
      ev.drain(1600, 1000, 600, 4096),
      ev.drain(2050, 2000, 50, 100),
      ev.drain(2530, 2500, 30, 100),
    ]).summary(T0 + 4000);
    assert.equal(summary.source, 'drain');
    assert.deepEqual(
      summary.episodes.map((e) => [e.startedAt - T0, e.durationMs, e.bytesQueued, e.source]),
      [
        [1000, 600, 4096, 'drain'],
        [3000, 51, 700, 'drain'],
      ],
    );
    assert.deepEqual([summary.count, summary.totalMs, summary.longestMs], [2, 651, 600]);
  });

  it('kernel samples win over drain waits when both exist', () => {
    const summary = feed(new PauseAnalysis(50, 500), [
      ...stall1000to1600(),
      ev.drain(5000, 4000, 1000, 10),
    ]).summary(T0 + 6000);
    assert.equal(summary.source, 'kernel');
    assert.deepEqual(
      summary.episodes.map((e) => e.durationMs),
      [600],
    );
  });

  it('with neither, there is no data: no episodes and zeros', () => {
    const summary = new PauseAnalysis(50, 500).summary(T0);
    assert.deepEqual(summary, {
      count: 0,
      totalMs: 0,
      wallMs: 0,
      longestMs: 0,
      flowControlMs: 0,
      blockedMs: 0,
      targetLogged: null,
      targetResumes: null,
      source: 'none',
      thresholdMs: 50,
      blockedAfterMs: 500,
      episodes: [],
    });
  });
});

describe("PauseAnalysis: the target's own pause lines", () => {
  const lines = [
    ev.log(100, 'pause', 'Commit backlog causing replication back-pressure'),
    ev.log(200, 'resume', 'replication resumed'),
    ev.log(300, 'pause', 'Commit backlog causing replication back-pressure'),
    ev.log(400, 'oom', 'ERR_WORKER_OUT_OF_MEMORY'),
  ];
  const levels: Array<{ level: string | undefined; logged: number | null; resumes: number | null }> = [
    { level: 'debug', logged: 2, resumes: 1 },
    { level: 'trace', logged: 2, resumes: 1 },
    { level: 'info', logged: null, resumes: null },
    { level: 'warn', logged: null, resumes: null },
    { level: undefined, logged: null, resumes: null },
  ];
  for (const { level, logged, resumes } of levels) {
    it(`log level ${level ?? 'unknown'}: ${logged === null ? 'not counted (hidden at that level)' : 'counted'}`, () => {
      const start = ev.start(0, level === undefined ? {} : { target: { loggingLevel: level } });
      const summary = feed(new PauseAnalysis(50, 500), [start, ...lines]).summary(T0 + 500);
      assert.equal(summary.targetLogged, logged);
      assert.equal(summary.targetResumes, resumes);
    });
  }
});

describe('PauseAnalysis: invariants over any sample sequence (property)', () => {
  it('episodes exceed the threshold, sum to totalMs, split into flow control + blocked, and wallMs ≤ totalMs', () => {
    const queue = fc.integer({ min: 0, max: 3 }).map((n) => n * 100);
    const sample = fc.record({
      gap: fc.integer({ min: 1, max: 60 }),
      socketId: fc.integer({ min: 1, max: 3 }),
      rx: queue,
      tx: queue,
      buffered: queue,
    });
    const probe = fc.record({
      askedMs: fc.integer({ min: 0, max: 3000 }),
      latencyMs: fc.integer({ min: 0, max: 900 }),
      ok: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(sample, { maxLength: 80 }),
        fc.array(probe, { maxLength: 20 }),
        fc.integer({ min: 0, max: 120 }),
        fc.integer({ min: 50, max: 600 }),
        (samples, probes, thresholdMs, blockedAfterMs) => {
          const analysis = new PauseAnalysis(thresholdMs, blockedAfterMs);
          let ms = 0;
          for (const s of samples) {
            ms += s.gap;
            analysis.sink(ev.tcp(ms, s.socketId, s));
          }
          for (const p of probes) analysis.sink(ev.probe(p.askedMs, p.latencyMs, p.ok));
          const endedAt = T0 + ms + 10;
          const summary = analysis.summary(endedAt);
          assert.equal(summary.count, summary.episodes.length);
          assert.equal(
            summary.totalMs,
            summary.episodes.reduce((sum, e) => sum + e.durationMs, 0),
          );
          assert.equal(summary.flowControlMs + summary.blockedMs, summary.totalMs);
          assert.ok(summary.wallMs <= summary.totalMs);
          assert.ok(summary.wallMs >= summary.longestMs);
          for (const e of summary.episodes) {
            assert.ok(e.durationMs > thresholdMs, 'only stalls longer than the threshold');
            assert.ok(e.startedAt >= T0 && e.startedAt + e.durationMs <= endedAt, 'within the run');
            assert.ok(e.blockedFraction >= 0 && e.blockedFraction <= 1);
            // blockedFraction is rounded to 2 decimals: 0.495 shows as 0.5 on a flow-control episode.
            if (e.cause === 'blocked') assert.ok(e.blockedFraction >= 0.5);
            else assert.ok(e.blockedFraction <= 0.5);
          }
          for (let i = 1; i < summary.episodes.length; i++) {
            assert.ok(summary.episodes[i - 1]!.startedAt <= summary.episodes[i]!.startedAt, 'sorted');
          }
          assert.equal(summary.source, samples.length ? 'kernel' : 'none');
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('unionMs', () => {
  it('equals the number of covered milliseconds (property, against a brute-force count)', () => {
    const interval = fc.record({
      startedAt: fc.integer({ min: 0, max: 500 }),
      durationMs: fc.integer({ min: 0, max: 200 }),
    });
    fc.assert(
      fc.property(fc.array(interval, { maxLength: 12 }), (episodes) => {
        const covered = new Set<number>();
        for (const { startedAt, durationMs } of episodes) {
          for (let ms = startedAt; ms < startedAt + durationMs; ms++) covered.add(ms);
        }
        assert.equal(unionMs(episodes), covered.size);
      }),
    );
  });

  it('does not reorder the caller’s list', () => {
    const episodes = [
      { startedAt: 300, durationMs: 10 },
      { startedAt: 0, durationMs: 100 },
    ];
    assert.equal(unionMs(episodes), 110);
    assert.deepEqual(
      episodes.map((e) => e.startedAt),
      [300, 0],
    );
  });
});
