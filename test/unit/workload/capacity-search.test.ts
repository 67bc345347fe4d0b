import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  conclude,
  expectedProbes,
  formatSearchValue,
  nextStep,
  type Probe,
  type ProbeOutcome,
  parseResolution,
  parseSearchRange,
  type SearchConclusion,
  type SearchPlan,
} from '../../../src/workload/capacity-search.js';
import { searchPlan as plan } from '../../helpers/search-fixtures.js';

/** Runs a whole search against `oracle` (called with the value and how often it was probed before). */
function search(
  p: SearchPlan,
  oracle: (value: number, seen: number) => ProbeOutcome,
): { probes: Probe[]; conclusion: SearchConclusion; whys: string[] } {
  const probes: Probe[] = [];
  const whys: string[] = [];
  for (;;) {
    const step = nextStep(p, probes);
    if (step.kind === 'done') return { probes, conclusion: step.conclusion, whys };
    whys.push(step.why);
    const seen = probes.filter((probe) => probe.value === step.value).length;
    probes.push({ value: step.value, outcome: oracle(step.value, seen) });
  }
}

const survivesUpTo =
  (limit: number) =>
  (value: number): ProbeOutcome =>
    value <= limit ? 'pass' : 'fail';

describe('nextStep: a bisection over LOW..HIGH', () => {
  it('probes LOW, then HIGH, then halves the band, then repeats the values at the boundary', () => {
    const { probes, conclusion, whys } = search(plan(), survivesUpTo(140_000));
    assert.deepEqual(probes.slice(0, 3), [
      { value: 10_000, outcome: 'pass' },
      { value: 300_000, outcome: 'fail' },
      { value: 155_000, outcome: 'fail' },
    ]);
    assert.equal(whys[0], 'low');
    assert.equal(whys[1], 'high');
    assert.equal(whys[2], 'bisect');
    // Bisection first, repeats only once the band is down to the resolution.
    const firstRepeat = whys.indexOf('repeat');
    assert.ok(firstRepeat > 2 && whys.slice(firstRepeat).every((why) => why === 'repeat'), whys.join());
    assert.ok(conclusion.largestPass! <= 140_000 && conclusion.smallestFail! > 140_000);
    assert.ok(conclusion.smallestFail! - conclusion.largestPass! <= 14_500);
    assert.equal(conclusion.confidence, 'sure');
    assert.equal(conclusion.confidenceText, 'sure');
    assert.equal(conclusion.resolved, true);
    // Both edges were probed twice and agreed.
    for (const edge of [conclusion.largestPass, conclusion.smallestFail])
      assert.equal(probes.filter((probe) => probe.value === edge).length, 2);
  });

  it('repeat 1 probes every value once', () => {
    const { probes } = search(plan({ repeat: 1 }), survivesUpTo(140_000));
    assert.equal(new Set(probes.map((probe) => probe.value)).size, probes.length);
    assert.equal(probes.length, expectedProbes(plan()));
  });

  it('a failure at LOW ends the search after its repeats: no value passes', () => {
    const { probes, conclusion } = search(plan(), () => 'fail');
    assert.deepEqual(
      probes.map((probe) => probe.value),
      [10_000, 10_000],
    );
    assert.equal(conclusion.largestPass, null);
    assert.equal(conclusion.smallestFail, 10_000);
    assert.equal(conclusion.confidence, 'sure');
  });

  it('a pass at HIGH ends the search: the node survives the whole range', () => {
    const { probes, conclusion } = search(plan(), () => 'pass');
    assert.deepEqual(
      probes.map((probe) => probe.value),
      [10_000, 300_000, 300_000],
    );
    assert.equal(conclusion.largestPass, 300_000);
    assert.equal(conclusion.smallestFail, null);
    assert.equal(conclusion.resolved, true);
  });

  it('retries a probe that never reached the target, then gives up on that value', () => {
    const { probes, conclusion } = search(plan(), () => 'error');
    assert.deepEqual(probes, [
      { value: 10_000, outcome: 'error' },
      { value: 10_000, outcome: 'error' },
    ]);
    assert.equal(conclusion.confidence, 'incomplete');
    assert.match(conclusion.confidenceText, /incomplete: 2 probes at 10000 could not be judged \(errors\)/);
    assert.equal(conclusion.largestPass, null);
    assert.equal(conclusion.smallestFail, null);
  });

  it('an error is not a failure: the value is probed again and judged by what it then does', () => {
    const { probes, conclusion } = search(plan({ repeat: 1 }), (value, seen) =>
      value === 155_000 && seen === 0 ? 'error' : survivesUpTo(140_000)(value),
    );
    assert.deepEqual(
      probes.slice(2, 4).map((probe) => [probe.value, probe.outcome]),
      [
        [155_000, 'error'],
        [155_000, 'fail'],
      ],
    );
    assert.equal(conclusion.confidence, 'sure');
  });

  it('a repeat that disagrees makes the result noisy and counts the disagreement', () => {
    // The first probe of every value at or below 140,000 passes; its repeat at 126,406 fails.
    const { conclusion, probes } = search(plan(), (value, seen) =>
      value > 140_000 ? 'fail' : seen === 1 && value > 120_000 ? 'fail' : 'pass',
    );
    assert.equal(conclusion.confidence, 'noisy');
    assert.ok(conclusion.disagreed >= 1, JSON.stringify(probes));
    assert.match(conclusion.confidenceText, /^noisy: \d+ of \d+ repeats disagreed/);
    // The reported pass has no failure at or below it.
    const failures = probes.filter((probe) => probe.outcome === 'fail').map((probe) => probe.value);
    assert.ok(failures.every((value) => value > conclusion.largestPass!));
  });

  it('a pass above a fail widens the band over both and says so', () => {
    const p = plan({ repeat: 1 });
    const probes: Probe[] = [
      { value: 10_000, outcome: 'pass' },
      { value: 300_000, outcome: 'fail' },
      { value: 100_000, outcome: 'fail' },
      { value: 150_000, outcome: 'pass' },
      { value: 200_000, outcome: 'fail' },
    ];
    const conclusion = conclude(p, probes);
    assert.equal(conclusion.contradiction, true);
    assert.equal(conclusion.largestPass, 10_000);
    assert.equal(conclusion.smallestFail, 200_000);
    assert.equal(conclusion.confidence, 'noisy');
    assert.equal(conclusion.confidenceText, 'noisy: passed at 150000 above a failure at 100000');
    // Nothing is bisected inside a contradiction; with repeat 1 there is nothing left to confirm.
    assert.equal(nextStep(p, probes).kind, 'done');
    // With repeats, the contradicting values are probed again first.
    const again = nextStep({ ...p, repeat: 2 }, probes);
    assert.ok(again.kind === 'probe' && again.why === 'repeat' && [100_000, 150_000].includes(again.value));
  });

  it('a tie counts as a failure', () => {
    const conclusion = conclude(plan(), [
      { value: 10_000, outcome: 'pass' },
      { value: 300_000, outcome: 'fail' },
      { value: 155_000, outcome: 'pass' },
      { value: 155_000, outcome: 'fail' },
    ]);
    assert.equal(conclusion.smallestFail, 155_000);
    assert.equal(conclusion.largestPass, 10_000);
    assert.equal(conclusion.disagreed, 1);
    assert.equal(conclusion.repeats, 2);
  });

  it('stops at the probe budget', () => {
    const { probes, conclusion } = search(plan({ maxProbes: 3 }), survivesUpTo(140_000));
    assert.equal(probes.length, 3);
    assert.equal(conclusion.confidence, 'incomplete');
    assert.match(conclusion.confidenceText, /after 3 probes/);
  });

  it('rates bisect with decimals', () => {
    const { conclusion } = search(
      plan({ low: 0.5, high: 4, resolution: 0.1, integer: false, repeat: 1 }),
      survivesUpTo(1.234),
    );
    assert.ok(conclusion.largestPass! <= 1.234 && conclusion.smallestFail! > 1.234);
    assert.ok(conclusion.smallestFail! - conclusion.largestPass! <= 0.1);
  });
});

describe('nextStep: properties', () => {
  const plans = fc
    .record({
      low: fc.integer({ min: 1, max: 1_000 }),
      span: fc.integer({ min: 1, max: 1_000_000 }),
      resolutionShare: fc.double({ min: 0.001, max: 1.5, noNaN: true }),
      repeat: fc.integer({ min: 1, max: 4 }),
      nearBoundary: fc.integer({ min: 0, max: 3 }),
    })
    .map(
      ({ low, span, resolutionShare, repeat, nearBoundary }): SearchPlan => ({
        low,
        high: low + span,
        resolution: Math.max(1, Math.ceil(span * resolutionShare)),
        integer: true,
        repeat,
        nearBoundary,
        maxErrors: 2,
        maxProbes: 10_000,
      }),
    );

  it('a noiseless node: the band holds its limit, is down to the resolution, sure, within the expected probes', () => {
    fc.assert(
      fc.property(plans, fc.double({ min: -0.2, max: 1.2, noNaN: true }), (p, at) => {
        const limit = Math.round(p.low + at * (p.high - p.low));
        const { conclusion, probes } = search(p, survivesUpTo(limit));
        assert.equal(conclusion.confidence, 'sure');
        assert.equal(conclusion.resolved, true);
        if (limit < p.low) assert.deepEqual([conclusion.largestPass, conclusion.smallestFail], [null, p.low]);
        else if (limit >= p.high)
          assert.deepEqual([conclusion.largestPass, conclusion.smallestFail], [p.high, null]);
        else {
          assert.ok(conclusion.largestPass! <= limit && conclusion.smallestFail! > limit);
          assert.ok(conclusion.smallestFail! - conclusion.largestPass! <= p.resolution);
        }
        const distinct = new Set(probes.map((probe) => probe.value)).size;
        assert.ok(distinct <= expectedProbes(p), `${distinct} values > ${expectedProbes(p)}`);
        assert.ok(probes.length <= distinct * p.repeat);
      }),
      { numRuns: 500 },
    );
  });

  it('any outcomes: the search ends, every probe is in range, and the reported edges are consistent', () => {
    fc.assert(
      fc.property(
        plans,
        fc.array(fc.constantFrom<ProbeOutcome>('pass', 'fail', 'error'), { minLength: 1 }),
        (p, script) => {
          let i = 0;
          const { conclusion, probes } = search(p, () => script[i++ % script.length]!);
          assert.ok(probes.length <= 200, `${probes.length} probes`);
          for (const probe of probes) assert.ok(probe.value >= p.low && probe.value <= p.high);
          const { largestPass, smallestFail } = conclusion;
          if (largestPass !== null && smallestFail !== null) assert.ok(largestPass < smallestFail);
          // The reported pass passed at least once and no value at or below it was judged a failure.
          if (largestPass !== null)
            assert.ok(probes.some((probe) => probe.value === largestPass && probe.outcome === 'pass'));
          if (smallestFail !== null)
            assert.ok(probes.some((probe) => probe.value === smallestFail && probe.outcome === 'fail'));
          if (conclusion.confidence === 'sure') assert.equal(conclusion.disagreed, 0);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('parseSearchRange, parseResolution, formatSearchValue', () => {
  it('reads each key in the units of its flag', () => {
    assert.deepEqual(parseSearchRange('records-per-frame=10000..300000'), {
      key: 'records-per-frame',
      low: 10_000,
      high: 300_000,
    });
    assert.deepEqual(parseSearchRange('records-per-frame=10k..150_000'), {
      key: 'records-per-frame',
      low: 10_000,
      high: 150_000,
    });
    assert.deepEqual(parseSearchRange('blob-size=10KB..2MiB'), {
      key: 'blob-size',
      low: 10_240,
      high: 2 * 2 ** 20,
    });
    assert.deepEqual(parseSearchRange('record-size=256..4KB'), { key: 'record-size', low: 256, high: 4096 });
    assert.deepEqual(parseSearchRange('rate=1000rps..20000rps'), {
      key: 'rate',
      low: 1000,
      high: 20_000,
      unit: 'rps',
    });
    assert.deepEqual(parseSearchRange('rate=0.5..4'), { key: 'rate', low: 0.5, high: 4, unit: 'fps' });
  });

  it('refuses what cannot be searched, naming why', () => {
    assert.throws(() => parseSearchRange('records-per-frame=10000-300000'), /not KEY=LOW\.\.HIGH/);
    assert.throws(
      () => parseSearchRange('frames=1..10'),
      /"frames" cannot be searched; choose one of: records-per-frame/,
    );
    assert.throws(() => parseSearchRange('records-per-frame=300000..10000'), /LOW must be below HIGH/);
    assert.throws(() => parseSearchRange('records-per-frame=0..10'), /whole number of records of 1 or more/);
    assert.throws(() => parseSearchRange('records-per-frame=1.5..10'), /whole number/);
    assert.throws(() => parseSearchRange('blob-size=10XB..1MB'), /not a size/);
    assert.throws(() => parseSearchRange('rate=1000rps..20fps'), /same unit/);
  });

  it("the resolution: 5 % of the range by default, a percentage, or a value in the key's unit", () => {
    const range = parseSearchRange('records-per-frame=10000..300000');
    assert.equal(parseResolution(undefined, range), 14_500);
    assert.equal(parseResolution('10%', range), 29_000);
    assert.equal(parseResolution('5000', range), 5000);
    assert.equal(parseResolution('10KB', parseSearchRange('blob-size=10KB..1MB')), 10_240);
    assert.equal(parseResolution('100rps', parseSearchRange('rate=1000rps..2000rps')), 100);
    assert.throws(
      () => parseResolution('1fps', parseSearchRange('rate=1000rps..2000rps')),
      /range's unit \(rps\)/,
    );
    assert.throws(() => parseResolution('0%', range), /not a resolution above 0/);
    assert.throws(() => parseResolution('abc', range), /whole number/);
  });

  it('formats values for humans', () => {
    assert.equal(formatSearchValue({ key: 'records-per-frame' }, 140_000), '140,000 records/frame');
    assert.equal(formatSearchValue({ key: 'rate', unit: 'rps' }, 5000), '5,000 records/s');
    assert.equal(formatSearchValue({ key: 'blob-size' }, 1.5 * 2 ** 20), '1.50 MiB');
  });
});
