import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { RunEvent, RunPhase } from '../../../src/events/schema.js';
import { MemoryAnalysis } from '../../../src/report/memory-analysis.js';
import { ev, MiB } from './support.js';

const summarize = (events: RunEvent[]) => {
  const analysis = new MemoryAnalysis();
  for (const event of events) analysis.sink(event);
  return analysis.summary();
};

/** system_information answers without externalMemory (older nodes, or none sampled). */
const NO_EXTERNAL = {
  baselineThread: null,
  peakThread: null,
  growthThread: null,
  peakThreadArrayBuffers: null,
};

describe('MemoryAnalysis: /proc (local target)', () => {
  it('baseline is the median before the first frame, peak and its time after it, end the last sample', () => {
    const summary = summarize([
      ev.proc(100, 100 * MiB, 100 * MiB),
      ev.proc(120, 104 * MiB, 104 * MiB),
      ev.proc(140, 102 * MiB, 104 * MiB),
      ev.sent(1000, 0),
      ev.proc(1200, 300 * MiB, 300 * MiB),
      ev.proc(1600, 500 * MiB, 500 * MiB),
      // The kernel saw a higher peak between two samples.
      ev.proc(2400, 400 * MiB, 520 * MiB),
    ]);
    assert.deepEqual(summary, {
      sampler: 'proc',
      baselineRss: 102 * MiB,
      peakRss: 500 * MiB,
      peakAtMs: 600,
      growthRss: 398 * MiB,
      endRss: 400 * MiB,
      kernelPeakRss: 520 * MiB,
      samples: 6,
      slow: { samples: 0, peakRss: null, peakThreadHeap: null, maxLatencyMs: null, missedPeak: null },
      external: NO_EXTERNAL,
    });
  });

  it('an even number of baseline samples: the mean of the middle two', () => {
    const summary = summarize([
      ev.proc(0, 90 * MiB),
      ev.proc(10, 110 * MiB),
      ev.proc(20, 100 * MiB),
      ev.proc(30, 130 * MiB),
      ev.sent(40, 0),
      ev.proc(50, 200 * MiB),
    ]);
    assert.equal(summary.baselineRss, 105 * MiB);
    assert.equal(summary.growthRss, 95 * MiB);
  });

  it('a peak before the first frame is at a negative time', () => {
    const summary = summarize([
      ev.proc(0, 100 * MiB),
      ev.proc(400, 700 * MiB),
      ev.sent(1000, 0),
      ev.proc(1100, 200 * MiB),
    ]);
    assert.equal(summary.peakAtMs, -600);
    assert.equal(summary.peakRss, 700 * MiB);
    assert.equal(summary.baselineRss, 400 * MiB, 'median of 100 and 700');
  });

  it('the first of equal peaks is the peak time', () => {
    const summary = summarize([
      ev.sent(0, 0),
      ev.proc(100, 5 * MiB),
      ev.proc(200, 9 * MiB),
      ev.proc(300, 9 * MiB),
    ]);
    assert.equal(summary.peakAtMs, 200);
  });

  it('without a frame sent: no baseline-relative time, the baseline is every sample', () => {
    const summary = summarize([ev.proc(0, 100 * MiB), ev.proc(10, 300 * MiB), ev.proc(20, 200 * MiB)]);
    assert.equal(summary.peakAtMs, null);
    assert.equal(summary.baselineRss, 200 * MiB);
    assert.equal(summary.growthRss, 100 * MiB);
  });

  it('without a sample before the first frame there is no baseline and no growth', () => {
    const summary = summarize([ev.sent(0, 0), ev.proc(10, 300 * MiB)]);
    assert.equal(summary.baselineRss, null);
    assert.equal(summary.growthRss, null);
    assert.equal(summary.peakRss, 300 * MiB);
  });

  const phases: Array<{ phase: RunPhase; closes: boolean }> = [
    { phase: 'streaming', closes: false },
    { phase: 'waiting-for-acks', closes: false },
    { phase: 'settling', closes: false },
    { phase: 'verifying', closes: true },
    { phase: 'cleaning-up', closes: true },
  ];
  for (const { phase, closes } of phases) {
    it(`phase ${phase} ${closes ? 'ends' : 'does not end'} the window (verification reads every row)`, () => {
      const summary = summarize([
        ev.proc(0, 100 * MiB),
        ev.sent(100, 0),
        ev.proc(200, 300 * MiB),
        ev.phase(300, phase),
        ev.proc(400, 900 * MiB, 900 * MiB),
        ev.sysinfo(450, 950 * MiB, [{ threadId: 1, heapUsed: 80 * MiB }], 700),
      ]);
      assert.equal(summary.peakRss, closes ? 300 * MiB : 900 * MiB);
      assert.equal(summary.endRss, closes ? 300 * MiB : 900 * MiB);
      assert.equal(summary.kernelPeakRss, closes ? 300 * MiB : 900 * MiB);
      assert.equal(summary.samples, closes ? 2 : 3);
      assert.equal(summary.slow.samples, closes ? 0 : 1);
      assert.equal(summary.slow.maxLatencyMs, closes ? null : 700);
    });
  }
});

describe('MemoryAnalysis: system_information (any target)', () => {
  it('without /proc the slow sampler gives baseline, peak and end; rss-less answers count but do not peak', () => {
    const summary = summarize([
      ev.sysinfo(0, 200 * MiB, [{ threadId: 1, heapUsed: 20 * MiB }], 4),
      ev.sysinfo(250, 220 * MiB, [{ threadId: 1, heapUsed: 30 * MiB }, { threadId: 2 }], 6),
      ev.sent(400, 0),
      ev.sysinfo(
        500,
        600 * MiB,
        [
          { threadId: 1, heapUsed: 90 * MiB },
          { threadId: 2, heapUsed: 120 * MiB },
        ],
        900,
      ),
      ev.sysinfo(750, null, [], 30),
      ev.sysinfo(1000, 450 * MiB, [{ threadId: 1, heapUsed: 40 * MiB }], 12),
    ]);
    assert.deepEqual(summary, {
      sampler: 'system_information',
      baselineRss: 210 * MiB,
      peakRss: 600 * MiB,
      peakAtMs: 100,
      growthRss: 390 * MiB,
      endRss: 450 * MiB,
      kernelPeakRss: null,
      samples: 0,
      slow: {
        samples: 5,
        peakRss: 600 * MiB,
        peakThreadHeap: 120 * MiB,
        maxLatencyMs: 900,
        missedPeak: null,
      },
      external: NO_EXTERNAL,
    });
  });

  it('with both samplers /proc is the truth; missedPeak is how far below it the slow peak stayed', () => {
    const summary = summarize([
      ev.proc(0, 100 * MiB),
      ev.sysinfo(5, 101 * MiB, []),
      ev.sent(10, 0),
      ev.proc(20, 800 * MiB),
      ev.sysinfo(250, 350 * MiB, []),
      ev.proc(260, 300 * MiB),
    ]);
    assert.equal(summary.sampler, 'proc');
    assert.equal(summary.peakRss, 800 * MiB);
    assert.equal(summary.baselineRss, 100 * MiB, 'the /proc baseline, not the slow one');
    assert.equal(summary.endRss, 300 * MiB);
    assert.equal(summary.slow.peakRss, 350 * MiB);
    assert.equal(summary.slow.missedPeak, 450 * MiB);
  });

  it('a slow peak above the fast one (sampled between two /proc reads) missed nothing', () => {
    const summary = summarize([ev.proc(0, 100 * MiB), ev.sysinfo(10, 120 * MiB, []), ev.proc(20, 110 * MiB)]);
    assert.equal(summary.slow.missedPeak, 0);
  });

  it('no samples at all: sampler none, every value null', () => {
    const summary = summarize([ev.sent(0, 0), ev.phase(10, 'streaming')]);
    assert.deepEqual(summary, {
      sampler: 'none',
      baselineRss: null,
      peakRss: null,
      peakAtMs: null,
      growthRss: null,
      endRss: null,
      kernelPeakRss: null,
      samples: 0,
      slow: { samples: 0, peakRss: null, peakThreadHeap: null, maxLatencyMs: null, missedPeak: null },
      external: NO_EXTERNAL,
    });
  });

  it('samples of other kinds (probe, tcp) are not memory', () => {
    const summary = summarize([ev.probe(0, 5), ev.tcp(10, 1, { rx: 100 })]);
    assert.equal(summary.sampler, 'none');
    assert.equal(summary.samples, 0);
  });
});

describe('MemoryAnalysis: invariants (property)', () => {
  it('baseline ≤ peak, end ≤ peak, growth = peak − baseline, peak is the largest sample', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4096 }), { minLength: 1, maxLength: 40 }),
        fc.nat({ max: 40 }),
        (rssMiB, sendAfter) => {
          const events: RunEvent[] = [];
          rssMiB.forEach((rss, i) => {
            if (i === sendAfter) events.push(ev.sent(i * 20 - 1, 0));
            events.push(ev.proc(i * 20, rss * MiB));
          });
          const summary = summarize(events);
          const peak = Math.max(...rssMiB) * MiB;
          assert.equal(summary.peakRss, peak);
          assert.equal(summary.endRss, rssMiB.at(-1)! * MiB);
          assert.equal(summary.samples, rssMiB.length);
          assert.equal(
            summary.baselineRss === null,
            sendAfter === 0,
            'no baseline exactly when the first frame went out before any sample',
          );
          if (summary.baselineRss === null) {
            assert.equal(summary.growthRss, null);
          } else {
            assert.ok(summary.baselineRss <= peak);
            assert.equal(summary.growthRss, peak - summary.baselineRss);
          }
        },
      ),
    );
  });
});

describe('MemoryAnalysis: external memory (system_information, per worker)', () => {
  it('the largest thread per answer: baseline before the first frame, peak and growth after, array buffers apart', () => {
    const summary = summarize([
      ev.sysinfo(0, 200 * MiB, [
        { threadId: 1, externalMemory: 20 * MiB, arrayBuffers: 15 * MiB },
        { threadId: 2, externalMemory: 22 * MiB, arrayBuffers: 16 * MiB },
      ]),
      ev.sysinfo(250, 200 * MiB, [{ threadId: 1, externalMemory: 24 * MiB }]),
      ev.sent(300, 0),
      // Blob chunks pile up on thread 2: 627 MiB outside its heap.
      ev.sysinfo(500, 900 * MiB, [
        { threadId: 1, externalMemory: 30 * MiB },
        { threadId: 2, externalMemory: 627 * MiB, arrayBuffers: 610 * MiB },
      ]),
      ev.sysinfo(750, 400 * MiB, [{ threadId: 1, externalMemory: 40 * MiB }]),
    ]);
    assert.deepEqual(summary.external, {
      baselineThread: 23 * MiB, // median of the per-answer maxima 22 and 24
      peakThread: 627 * MiB,
      growthThread: 604 * MiB,
      peakThreadArrayBuffers: 610 * MiB,
    });
  });

  it('answers after verification starts are not the workload’s', () => {
    const summary = summarize([
      ev.sent(0, 0),
      ev.sysinfo(100, 100 * MiB, [{ threadId: 1, externalMemory: 10 * MiB }]),
      ev.phase(200, 'verifying'),
      ev.sysinfo(300, 100 * MiB, [{ threadId: 1, externalMemory: 900 * MiB }]),
    ]);
    assert.equal(summary.external.peakThread, 10 * MiB);
    assert.equal(summary.external.baselineThread, null, 'no answer before the first frame');
    assert.equal(summary.external.growthThread, null);
  });
});
