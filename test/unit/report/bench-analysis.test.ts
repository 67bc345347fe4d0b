import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  BETTER,
  type BenchMetrics,
  type BenchRun,
  compare,
  type MetricName,
  metricsOf,
} from '../../../src/report/bench-analysis.js';
import type { RunResult } from '../../../src/report/result.js';
import { assertNear, completeRun, ev, fold, MiB } from './support.js';

const base = fold(completeRun());
const NAMES = Object.keys(BETTER) as MetricName[];

const DEFAULTS: BenchMetrics = {
  peakRss: 500 * MiB,
  rssGrowth: 50 * MiB,
  pausesCount: 2,
  pausedMs: 300,
  targetPauses: null,
  recordsPerSec: 1000,
  ackP99Ms: 150,
  workerDeaths: 0,
};

/** A run's result whose compared metrics are `metrics` (the rest of a complete run). */
function resultWith(metrics: Partial<BenchMetrics>): RunResult {
  const m = { ...DEFAULTS, ...metrics };
  const result = structuredClone(base);
  result.memory.peakRss = m.peakRss;
  result.memory.growthRss = m.rssGrowth;
  result.pauses.count = m.pausesCount ?? 0;
  result.pauses.totalMs = m.pausedMs ?? 0;
  result.pauses.targetLogged = m.targetPauses;
  result.timing.commitRecordsPerSec = m.recordsPerSec;
  result.committed.ackLatencyMs.p99 = m.ackP99Ms;
  result.workers.deaths = m.workerDeaths ?? 0;
  return result;
}

let repetition = 0;
const run = (combination: number, metrics: Partial<BenchMetrics>, applied = true): BenchRun => ({
  combination,
  repetition: repetition++,
  applied: { THREADS_COUNT: applied },
  result: resultWith(metrics),
});

const threads = (...counts: string[]) => counts.map((count) => ({ set: { THREADS_COUNT: count } }));

describe('metricsOf', () => {
  it("reads the compared metrics from a folded run's result", () => {
    const result = fold(
      completeRun(
        [
          ev.proc(150, 100 * MiB),
          ev.proc(1600, 300 * MiB),
          ev.drain(1300, 1200, 100, 10),
          ev.drain(1900, 1700, 200, 10),
          ev.log(1300, 'pause', 'Commit backlog causing replication back-pressure'),
          ev.log(1500, 'pause', 'Commit backlog causing replication back-pressure'),
          ev.log(1800, 'pause', 'Commit backlog causing replication back-pressure'),
          ev.log(2000, 'oom', 'ERR_WORKER_OUT_OF_MEMORY'),
        ],
        { target: { loggingLevel: 'debug' } },
      ),
    );
    const { ackP99Ms, ...rest } = metricsOf(result);
    assert.deepEqual(rest, {
      peakRss: 300 * MiB,
      rssGrowth: 200 * MiB,
      pausesCount: 2,
      pausedMs: 300,
      targetPauses: 3,
      recordsPerSec: 27,
      workerDeaths: 1,
    });
    assertNear(ackP99Ms, 500, 'ack p99');
  });

  it('keeps what the run could not measure as null', () => {
    const metrics = metricsOf(base);
    assert.equal(metrics.peakRss, null);
    assert.equal(metrics.rssGrowth, null);
    assert.equal(metrics.targetPauses, null, 'the log level hides the pause lines');
  });
});

describe('compare', () => {
  it('medians, ranges and spread over the repetitions of each combination', () => {
    const runs = [
      run(0, { peakRss: 300 * MiB, recordsPerSec: 900 }),
      run(1, { peakRss: 400 * MiB, recordsPerSec: 1500 }),
      run(0, { peakRss: 100 * MiB, recordsPerSec: 1000 }),
      run(1, { peakRss: 500 * MiB, recordsPerSec: 1300 }, false),
      run(0, { peakRss: 200 * MiB, recordsPerSec: 1100 }),
    ];
    const [one, two, four] = compare(threads('1', '2', '4'), runs);

    assert.deepEqual(one!.set, { THREADS_COUNT: '1' });
    assert.equal(one!.runs, 3);
    assert.deepEqual(
      [one!.median.peakRss, one!.min.peakRss, one!.max.peakRss],
      [200 * MiB, 100 * MiB, 300 * MiB],
    );
    assert.equal(one!.spread.peakRss, 1, '(300 − 100) / 200');
    assert.equal(one!.median.recordsPerSec, 1000);
    assert.equal(one!.spread.recordsPerSec, 0.2);
    assert.deepEqual(one!.applied, { THREADS_COUNT: true });

    assert.equal(two!.runs, 2);
    assert.deepEqual(
      [two!.median.peakRss, two!.min.peakRss, two!.max.peakRss],
      [450 * MiB, 400 * MiB, 500 * MiB],
      'an even count: the mean of the two',
    );
    assert.equal(two!.spread.peakRss, (100 * MiB) / (450 * MiB));
    assert.equal(two!.median.recordsPerSec, 1400);
    assert.deepEqual(two!.applied, { THREADS_COUNT: false }, 'one repetition did not take the setting');

    assert.equal(four!.runs, 0, 'interrupted before this combination ran');
    for (const name of NAMES) {
      assert.equal(four!.median[name], null, name);
      assert.equal(four!.spread[name], null, name);
    }
    assert.deepEqual(four!.applied, { THREADS_COUNT: false });
    assert.deepEqual(four!.best, []);

    assert.deepEqual(one!.best, ['peakRss'], 'lower is better');
    assert.deepEqual(two!.best, ['recordsPerSec'], 'higher is better');
  });

  it('equal metrics everywhere: no best; a zero median has no spread', () => {
    const [a, b] = compare(threads('1', '2'), [run(0, {}), run(1, {}), run(0, {})]);
    assert.deepEqual(a!.best, []);
    assert.deepEqual(b!.best, []);
    assert.equal(a!.median.workerDeaths, 0);
    assert.equal(a!.spread.workerDeaths, null, 'no division by a zero median');
    assert.equal(a!.spread.pausedMs, 0, 'identical repetitions');
  });

  it('ties for best: every combination with the best median is marked', () => {
    const settings = compare(threads('1', '2', '4'), [
      run(0, { ackP99Ms: 100 }),
      run(1, { ackP99Ms: 100 }),
      run(2, { ackP99Ms: 200 }),
    ]);
    assert.deepEqual(
      settings.map((s) => s.best),
      [['ackP99Ms'], ['ackP99Ms'], []],
    );
  });

  it('null values are left out; a metric only one combination has is not ranked', () => {
    const [a, b] = compare(threads('1', '2'), [
      run(0, { targetPauses: null }),
      run(0, { targetPauses: 4 }),
      run(0, { targetPauses: 6 }),
      run(1, { targetPauses: null }),
    ]);
    assert.deepEqual([a!.median.targetPauses, a!.min.targetPauses, a!.max.targetPauses], [5, 4, 6]);
    assert.equal(b!.median.targetPauses, null);
    assert.ok(!a!.best.includes('targetPauses'), 'one candidate: nothing to compare');
  });

  it('every key of the combination is in applied', () => {
    const [setting] = compare(
      [{ set: { A: '1', B: '2' } }],
      [
        { combination: 0, repetition: 0, applied: { A: true, B: true }, result: resultWith({}) },
        { combination: 0, repetition: 1, applied: { A: true, B: false }, result: resultWith({}) },
      ],
    );
    assert.deepEqual(setting!.applied, { A: true, B: false });
  });

  it('property: min ≤ median ≤ max over the present values; the best are the extreme medians', () => {
    const value = fc.option(fc.integer({ min: 0, max: 20 }), { nil: null });
    const metrics = fc.record(
      Object.fromEntries(NAMES.map((name) => [name, value])) as Record<MetricName, typeof value>,
    );
    const runs = fc.array(fc.record({ combination: fc.integer({ min: 0, max: 3 }), metrics }), {
      maxLength: 16,
    });
    fc.assert(
      fc.property(runs, (generated) => {
        const benchRuns = generated.map((g, i) => ({
          combination: g.combination,
          repetition: i,
          applied: {},
          result: resultWith(g.metrics),
        }));
        const settings = compare(threads('1', '2', '3', '4'), benchRuns);
        for (const name of NAMES) {
          settings.forEach((setting, index) => {
            const present = benchRuns
              .filter((r) => r.combination === index)
              .map((r) => metricsOf(r.result)[name])
              .filter((v): v is number => v !== null);
            assert.equal(setting.runs, benchRuns.filter((r) => r.combination === index).length);
            if (!present.length) {
              assert.equal(setting.median[name], null);
              return;
            }
            const median = setting.median[name]!;
            assert.equal(setting.min[name], Math.min(...present));
            assert.equal(setting.max[name], Math.max(...present));
            assert.ok(setting.min[name]! <= median && median <= setting.max[name]!);
          });
          const medians = settings.map((s) => s.median[name]).filter((v): v is number => v !== null);
          const extreme = BETTER[name] === 'lower' ? Math.min(...medians) : Math.max(...medians);
          const ranked = medians.length >= 2 && medians.some((m) => m !== extreme);
          for (const setting of settings) {
            assert.equal(setting.best.includes(name), ranked && setting.median[name] === extreme, name);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
