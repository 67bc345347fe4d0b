import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  deltaOf,
  evaluateThresholds,
  METRICS,
  type MetricSource,
  parseRunThreshold,
  parseThreshold,
  type Threshold,
  thresholdHelp,
} from '../../../src/report/thresholds.js';
import { assertNear, completeRun, ev, fold } from './support.js';

const KiB = 1024;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const OPERATORS = ['<', '<=', '>', '>=', '==', '!='] as const;
type Op = (typeof OPERATORS)[number];

describe('parseThreshold: valid expressions', () => {
  const valid: Array<[string, string, Op, number]> = [
    ['peakRss<1.5GiB', 'peakRss', '<', Math.round(1.5 * GiB)],
    ['peakRss < 300MB', 'peakRss', '<', 300 * MiB],
    ['rssGrowth<=512KiB', 'rssGrowth', '<=', 512 * KiB],
    ['rssGrowth<=512 kb', 'rssGrowth', '<=', 512 * KiB],
    ['endRss>1024', 'endRss', '>', 1024],
    ['endRss>2g', 'endRss', '>', 2 * GiB],
    ['oomEvents==0', 'oomEvents', '==', 0],
    ['workerDeaths!=2', 'workerDeaths', '!=', 2],
    ['reconnects<=3', 'reconnects', '<=', 3],
    ['logErrors==0', 'logErrors', '==', 0],
    ['pauses<10', 'pauses', '<', 10],
    ['pausedMs<=2s', 'pausedMs', '<=', 2000],
    ['pausedWallMs<1.5s', 'pausedWallMs', '<', 1500],
    ['longestPauseMs<1m30s', 'longestPauseMs', '<', 90_000],
    ['blockedMs==0', 'blockedMs', '==', 0],
    ['flowControlMs>=250ms', 'flowControlMs', '>=', 250],
    ['ackP50<250', 'ackP50', '<', 250],
    ['ackP99<500ms', 'ackP99', '<', 500],
    ['ackMax<=1.5', 'ackMax', '<=', 1.5],
    ['durationMs<1h', 'durationMs', '<', 3_600_000],
    ['committedPct>=99.5%', 'committedPct', '>=', 99.5],
    ['committedPct>=100', 'committedPct', '>=', 100],
    ['committedRecords>=40', 'committedRecords', '>=', 40],
    ['recordsPerSec>1000.5', 'recordsPerSec', '>', 1000.5],
  ];
  for (const [expression, metric, operator, limit] of valid) {
    it(`${expression} → ${metric} ${operator} ${limit}`, () => {
      assert.deepEqual(parseThreshold(expression), { expression, metric, operator, limit });
    });
  }

  it('the expression is kept trimmed', () => {
    assert.deepEqual(parseThreshold('  oomEvents == 0\t'), {
      expression: 'oomEvents == 0',
      metric: 'oomEvents',
      operator: '==',
      limit: 0,
    });
  });

  it('property: any well-formed expression parses and reads back its metric, operator and value', () => {
    const sizeUnits: Record<string, number> = {
      '': 1,
      b: 1,
      k: KiB,
      kb: KiB,
      kib: KiB,
      m: MiB,
      mb: MiB,
      mib: MiB,
      g: GiB,
      gb: GiB,
      gib: GiB,
    };
    const durationUnits: Record<string, number> = { '': 1, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
    const space = fc.constantFrom('', ' ', '  ', '\t');
    const number = fc
      .tuple(fc.nat({ max: 100_000 }), fc.option(fc.nat({ max: 99 }), { nil: undefined }))
      .map(([whole, fraction]) => ({
        text: fraction === undefined ? String(whole) : `${whole}.${String(fraction).padStart(2, '0')}`,
        value: fraction === undefined ? whole : whole + fraction / 100,
      }));
    const limitFor = (unit: string) => {
      if (unit === 'bytes') {
        return fc
          .tuple(number, fc.constantFrom(...Object.keys(sizeUnits)), fc.boolean(), space)
          .map(([n, suffix, upper, gap]) => ({
            text: `${n.text}${suffix ? gap : ''}${upper ? suffix.toUpperCase() : suffix}`,
            limit: Math.round(Number(n.text) * sizeUnits[suffix]!),
          }));
      }
      if (unit === 'slope') {
        const perMinute: Record<string, number> = { s: 60, min: 1, h: 1 / 60 };
        return fc
          .tuple(
            number,
            fc.constantFrom('KiB', 'MiB', 'MB'),
            fc.constantFrom(...Object.keys(perMinute)),
            fc.boolean(),
          )
          .map(([n, size, per, negative]) => ({
            text: `${negative ? '-' : ''}${n.text}${size}/${per}`,
            limit:
              (negative ? -1 : 1) *
              Math.round(Number(n.text) * (size === 'KiB' ? KiB : MiB)) *
              perMinute[per]!,
          }));
      }
      if (unit === 'ms') {
        return fc.tuple(number, fc.constantFrom(...Object.keys(durationUnits))).map(([n, suffix]) => ({
          text: `${n.text}${suffix}`,
          limit: suffix ? Math.round(Number(n.text) * durationUnits[suffix]!) : Number(n.text),
        }));
      }
      return fc.tuple(number, fc.boolean()).map(([n, percent]) => ({
        text: `${n.text}${unit === 'percent' && percent ? '%' : ''}`,
        limit: n.value,
      }));
    };
    const expression = fc.constantFrom(...Object.keys(METRICS)).chain((metric) =>
      fc.record({
        metric: fc.constant(metric),
        operator: fc.constantFrom(...OPERATORS),
        limit: limitFor(METRICS[metric]!.unit),
        spaces: fc.tuple(space, space, space, space),
      }),
    );
    fc.assert(
      fc.property(expression, ({ metric, operator, limit, spaces: [a, b, c, d] }) => {
        const text = `${a}${metric}${b}${operator}${c}${limit.text}${d}`;
        const parsed = parseThreshold(text);
        assert.equal(parsed.metric, metric);
        assert.equal(parsed.operator, operator);
        assert.ok(Math.abs(parsed.limit - limit.limit) < 1e-9, `${text}: ${parsed.limit} ≠ ${limit.limit}`);
        assert.equal(parsed.expression, text.trim());
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseThreshold: invalid expressions', () => {
  const notAnExpression = /is not "metric op value"/;
  const invalid: Array<[string, RegExp]> = [
    ['rssSlope<1MiB', /is not a size per time/],
    ['rssSlope<1MiB/week', /is not a size per time/],
    ['heapSlope<fast/min', /is not a size/],
    ['', notAnExpression],
    ['peakRss', notAnExpression],
    ['peakRss<', notAnExpression],
    ['<5', notAnExpression],
    ['1peakRss<5', notAnExpression],
    ['peakRss=5', notAnExpression],
    ['peak Rss<5', notAnExpression],
    ['peakRss ≤ 5', notAnExpression],
    ['PeakRss<1GiB', /unknown metric "PeakRss"; known: peakRss, rssGrowth, endRss/],
    ['cpu<50', /unknown metric "cpu"/],
    ['peakRss<1.5XB', /threshold "peakRss<1.5XB": "1.5XB" is not a size/],
    ['peakRss<-1XB', /is not a size/],
    ['pausedMs<2 seconds', /"2 seconds" is not a duration/],
    ['pausedMs<fast', /is not a duration/],
    ['ackP99<5ms5', /is not a duration/],
    ['oomEvents==abc', /threshold "oomEvents==abc": "abc" is not a number/],
    ['oomEvents===0', /"=0" is not a number/],
    ['recordsPerSec>Infinity', /is not a number/],
    ['committedPct>=50%%', /is not a number/],
    // A blank or bare-% value is no value (it used to read as 0), and only plain decimals are numbers.
    ['oomEvents== ', notAnExpression],
    ['committedPct>=%', /"%" is not a number/],
    ['oomEvents==0x10', /"0x10" is not a number/],
    ['oomEvents<1e3', /"1e3" is not a number/],
  ];
  for (const [expression, message] of invalid) {
    it(`rejects ${JSON.stringify(expression)}`, () => {
      assert.throws(() => parseThreshold(expression), message);
    });
  }
});

/** Every field a metric reads has a distinct value, so a metric wired to the wrong field reads the wrong number. */
const source: MetricSource = {
  memory: { peakRss: 1000, growthRss: 900, endRss: 800, external: { peakThread: 620, growthThread: 610 } },
  workers: {
    deaths: 2,
    oomEvents: 3,
    reconnects: 4,
    logErrors: { oom: 3, uncaught: 5, blobSaveFailed: 7, replicationError: 11, first: [{ line: 'x' }] },
    blobLines: { blobError: 13, blobTimeout: 17, blobSaveFailed: 19 },
  },
  pauses: { count: 6, totalMs: 1300, wallMs: 1000, longestMs: 700, blockedMs: 490, flowControlMs: 810 },
  acks: { longestStallMs: 1030, totalStallMs: 2070, unackedFrames: 23 },
  dependencyWaits: { totalMs: 4210 },
  herd: { maxSpreadMs: 840, smallestGapMs: 12 },
  liveness: { maxMs: 66 },
  committed: { frames: 3, records: 30, ackLatencyMs: { p50: 150, p99: 480, max: 500 } },
  sent: { frames: 4, records: 40 },
  timing: { durationMs: 3000, commitRecordsPerSec: 27, sendRecordsPerSec: 40 },
  trends: { rss: { slopeBytesPerMin: 1048576 }, heap: { slopeBytesPerMin: -2048 } },
  remote: { clusterStatus: { backPressurePercentMax: 37, links: [{ blobReplicationFailures: 41 }] } },
};

const threshold = (metric: string, operator: Op, limit: number): Threshold => ({
  expression: `${metric}${operator}${limit}`,
  metric,
  operator,
  limit,
});

describe('evaluateThresholds', () => {
  const reads: Record<string, number> = {
    peakRss: 1000,
    rssGrowth: 900,
    endRss: 800,
    peakExternal: 620,
    externalGrowth: 610,
    oomEvents: 3,
    workerDeaths: 2,
    reconnects: 4,
    resubscribeSpreadMs: 840,
    resubscribeGapMs: 12,
    livenessMs: 66,
    logErrors: 3 + 5 + 7 + 11,
    uncaughtExceptions: 5,
    blobErrors: 13 + 17 + 19,
    pauses: 6,
    pausedMs: 1300,
    pausedWallMs: 1000,
    longestPauseMs: 700,
    blockedMs: 490,
    flowControlMs: 810,
    ackP50: 150,
    ackP99: 480,
    ackMax: 500,
    ackStallMs: 1030,
    ackStalledMs: 2070,
    unackedFrames: 23,
    dependencyWaitTotal: 4210,
    committedPct: 75,
    clusterBackPressureMax: 37,
    blobReplicationFailures: 41,
    committedRecords: 30,
    recordsPerSec: 27,
    durationMs: 3000,
    rssSlope: 1048576,
    heapSlope: -2048,
  };

  it('the table of expected reads names every metric', () => {
    assert.deepEqual(Object.keys(reads).sort(), Object.keys(METRICS).sort());
  });

  for (const [metric, value] of Object.entries(reads)) {
    it(`${metric} reads ${value}`, () => {
      const [equal, notEqual] = evaluateThresholds(
        [threshold(metric, '==', value), threshold(metric, '!=', value)],
        source,
      );
      assert.equal(equal!.value, value);
      assert.equal(equal!.ok, true);
      assert.equal(notEqual!.ok, false);
    });
  }

  // The value is 500 (ackMax); each operator against 499, 500 and 501.
  const verdicts: Array<[Op, [boolean, boolean, boolean]]> = [
    ['<', [false, false, true]],
    ['<=', [false, true, true]],
    ['>', [true, false, false]],
    ['>=', [true, true, false]],
    ['==', [false, true, false]],
    ['!=', [true, false, true]],
  ];
  for (const [operator, expected] of verdicts) {
    it(`500 ${operator} 499 / 500 / 501 → ${expected.map((ok) => (ok ? 'pass' : 'breach')).join(' / ')}`, () => {
      const results = evaluateThresholds(
        [499, 500, 501].map((limit) => threshold('ackMax', operator, limit)),
        source,
      );
      assert.deepEqual(
        results.map((r) => r.ok),
        expected,
      );
      for (const r of results) assert.equal(r.value, 500);
    });
  }

  it('a metric without a value is a breach under every operator (the guarantee could not be checked)', () => {
    const empty: MetricSource = {
      ...source,
      memory: {
        peakRss: null,
        growthRss: null,
        endRss: null,
        external: { peakThread: null, growthThread: null },
      },
      committed: { frames: 0, records: 0, ackLatencyMs: { p50: null, p99: null, max: null } },
      sent: { frames: 0, records: 0 },
      acks: { longestStallMs: null, totalStallMs: 0, unackedFrames: 0 },
      timing: { durationMs: 10, commitRecordsPerSec: null, sendRecordsPerSec: null },
    };
    for (const metric of [
      'ackStallMs',
      'peakRss',
      'rssGrowth',
      'endRss',
      'ackP50',
      'ackP99',
      'ackMax',
      'committedPct',
      'recordsPerSec',
    ]) {
      for (const operator of OPERATORS) {
        const [verdict] = evaluateThresholds([threshold(metric, operator, 0)], empty);
        assert.equal(verdict!.value, null, metric);
        assert.equal(verdict!.ok, false, `${metric}${operator}0 with no data`);
      }
    }
  });

  it('committedPct is the share of sent frames committed (nothing sent: no value)', () => {
    const half: MetricSource = { ...source, committed: { ...source.committed, frames: 2 } };
    assert.equal(evaluateThresholds([threshold('committedPct', '==', 50)], half)[0]!.ok, true);
  });

  it('cluster_status metrics: back-pressure max; blob failures summed, no value where the version lacks them', () => {
    const link = (failures: number | null) => ({ blobReplicationFailures: failures });
    const sampled: MetricSource = {
      ...source,
      remote: { clusterStatus: { backPressurePercentMax: 40, links: [link(null), link(2), link(3)] } },
    };
    assert.equal(evaluateThresholds([threshold('clusterBackPressureMax', '<', 50)], sampled)[0]!.ok, true);
    assert.equal(evaluateThresholds([threshold('blobReplicationFailures', '==', 5)], sampled)[0]!.ok, true);
    // 4.7.29: the count is not available: a threshold on it is not met (it could not be checked), never 0.
    const on47: MetricSource = {
      ...source,
      remote: { clusterStatus: { backPressurePercentMax: 0, links: [link(null)] } },
    };
    const [verdict] = evaluateThresholds([threshold('blobReplicationFailures', '==', 0)], on47);
    assert.equal(verdict!.value, null);
    assert.equal(verdict!.ok, false);
    // A result without cluster_status (sampling off, or written by an older tool): no value.
    const unsampled: MetricSource = { ...source, remote: { clusterStatus: null } };
    assert.equal(
      evaluateThresholds([threshold('clusterBackPressureMax', '<', 50)], unsampled)[0]!.value,
      null,
    );
  });

  it('logErrors adds up the numeric error counts only', () => {
    const errors: MetricSource = {
      ...source,
      workers: { ...source.workers, logErrors: { oom: 1, uncaught: 'n/a', replicationError: 2, extra: 100 } },
    };
    assert.equal(evaluateThresholds([threshold('logErrors', '==', 3)], errors)[0]!.value, 3);
  });

  it('a verdict keeps the threshold it judged', () => {
    const parsed = parseThreshold('pausedMs<=2s');
    assert.deepEqual(evaluateThresholds([parsed], source), [{ ...parsed, value: 1300, ok: true }]);
  });

  it('property: the verdict is the comparison of the value with the limit', () => {
    const reference: Record<Op, (a: number, b: number) => boolean> = {
      '<': (a, b) => a < b,
      '<=': (a, b) => a <= b,
      '>': (a, b) => a > b,
      '>=': (a, b) => a >= b,
      '==': (a, b) => a === b,
      '!=': (a, b) => a !== b,
    };
    fc.assert(
      fc.property(
        fc.constantFrom(...OPERATORS),
        fc.integer({ min: -5, max: 5 }),
        fc.integer({ min: -5, max: 5 }),
        (operator, value, limit) => {
          const withValue: MetricSource = { ...source, workers: { ...source.workers, deaths: value } };
          const [verdict] = evaluateThresholds([threshold('workerDeaths', operator, limit)], withValue);
          assert.equal(verdict!.ok, reference[operator](value, limit));
        },
      ),
    );
  });

  it('on a folded run: passes, breaches and a metric without samples', () => {
    const result = fold(completeRun());
    const verdicts = evaluateThresholds(
      ['committedRecords==40', 'committedPct==100', 'durationMs<=3s', 'ackP99<400ms', 'peakRss<1GiB'].map(
        parseThreshold,
      ),
      result,
    );
    assert.deepEqual(
      verdicts.map((v) => [v.expression, v.ok]),
      [
        ['committedRecords==40', true],
        ['committedPct==100', true],
        ['durationMs<=3s', true],
        ['ackP99<400ms', false],
        ['peakRss<1GiB', false],
      ],
    );
    assertNear(verdicts[3]!.value, 500, 'ackP99: the slowest of 4 commits');
    assert.equal(verdicts[4]!.value, null, 'no memory sample in this run');
  });
});

describe('thresholdHelp', () => {
  it('has a line per metric with its unit', () => {
    const lines = thresholdHelp().split('\n');
    assert.equal(lines.length, Object.keys(METRICS).length);
    for (const [name, metric] of Object.entries(METRICS)) {
      const line = lines.find((l) => l.trimStart().startsWith(`${name} `));
      assert.ok(line, `a line for ${name}`);
      assert.ok(line.includes(metric.description), `${name}: its description`);
    }
    assert.match(lines.find((l) => l.includes('peakRss '))!, /\(size: 1\.5GiB, 300MB\)$/);
    assert.match(lines.find((l) => l.includes('pausedMs '))!, /\(duration: 500ms, 2s\)$/);
    assert.match(lines.find((l) => l.includes('oomEvents '))!, /\(count\)$/);
    assert.match(lines.find((l) => l.includes('committedPct '))!, /\(percent\)$/);
  });
});

describe('delta thresholds (against a baseline)', () => {
  const withRss = (peak: number) => fold(completeRun([ev.proc(1200, peak)]));

  it('parses a signed limit as a delta: % of the baseline or the metric unit', () => {
    assert.deepEqual(parseThreshold('peakRss<+10%'), {
      expression: 'peakRss<+10%',
      metric: 'peakRss',
      operator: '<',
      limit: 10,
      delta: 'percent',
    });
    assert.equal(parseThreshold('ackP99<+200ms').delta, 'absolute');
    assert.equal(parseThreshold('ackP99<+200ms').limit, 200);
    assert.equal(parseThreshold('peakRss>-64MiB').limit, -64 * MiB);
    assert.equal(parseThreshold('recordsPerSec>-5%').limit, -5);
    assert.equal(parseThreshold('peakRss<1GiB').delta, undefined);
  });

  it('a run refuses a delta (no baseline) and says where it belongs', () => {
    assert.throws(() => parseRunThreshold('peakRss<+10%'), /report RUN.ndjson --baseline BASE.ndjson/);
    assert.equal(parseRunThreshold('peakRss<1GiB').limit, GiB);
  });

  it('judges the change against the baselines median', () => {
    const run = withRss(330 * MiB);
    const baselines = [withRss(300 * MiB), withRss(290 * MiB), withRss(310 * MiB)];
    const [pct, abs, tight] = evaluateThresholds(
      [parseThreshold('peakRss<+15%'), parseThreshold('peakRss<+32MiB'), parseThreshold('peakRss<+5%')],
      run,
      baselines,
    );
    assert.equal(pct!.value, 10);
    assert.equal(pct!.ok, true);
    assert.equal(abs!.value, 30 * MiB);
    assert.equal(abs!.ok, true);
    assert.equal(tight!.ok, false);
  });

  it('with repetitions, a delta judges the runs median (absolute thresholds: the first run)', () => {
    const [delta, absolute] = evaluateThresholds(
      [parseThreshold('peakRss<+20MiB'), parseThreshold('peakRss<325MiB')],
      withRss(320 * MiB),
      [withRss(300 * MiB)],
      [withRss(340 * MiB), withRss(350 * MiB)],
    );
    assert.deepEqual([delta!.value, delta!.ok], [40 * MiB, false]);
    assert.deepEqual([absolute!.value, absolute!.ok], [320 * MiB, true]);
  });

  it('a delta without a baseline value is a breach with no value', () => {
    const [verdict] = evaluateThresholds([parseThreshold('peakRss<+10%')], withRss(MiB), []);
    assert.deepEqual([verdict!.value, verdict!.ok], [null, false]);
    assert.equal(deltaOf(5, 0, 'percent'), null);
    assert.equal(deltaOf(5, 10, 'percent'), -50);
  });
});
