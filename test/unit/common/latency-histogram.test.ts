import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LatencyHistogram } from '../../../src/common/latency-histogram.js';

/**
 * HDR with 3 significant digits keeps 2048 sub-buckets per power of two: a value is reported within 1/1024 of
 * itself (plus the 1 µs resolution). The tolerances below are that precision, nothing looser.
 */
const RELATIVE = 1 / 1024;
const close = (got: number | null, want: number, what: string): void => {
  assert.ok(got !== null, `${what}: null`);
  const slack = want * RELATIVE + 0.001;
  assert.ok(Math.abs(got - want) <= slack, `${what}: ${got} is not within ${slack} of ${want}`);
};

const histogramOf = (values: readonly number[]): LatencyHistogram => {
  const histogram = new LatencyHistogram();
  for (const value of values) histogram.recordMs(value);
  return histogram;
};

describe('LatencyHistogram', () => {
  it('an empty histogram has count 0 and no percentiles', () => {
    const histogram = new LatencyHistogram();
    assert.equal(histogram.count, 0);
    assert.deepEqual(histogram.summary(), { count: 0, p50: null, p99: null, max: null });
  });

  it('ignores values that are not latencies (negative, NaN, infinite)', () => {
    const histogram = histogramOf([
      -1,
      -0.001,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ]);
    assert.equal(histogram.count, 0);
    assert.equal(histogram.summary().p50, null);
    histogram.recordMs(7);
    assert.equal(histogram.count, 1, 'a good value after bad ones still counts');
  });

  it('one value: p50, p99 and max are that value', () => {
    for (const ms of [0.001, 0.5, 1, 12.345, 250, 1000, 59_999.5, 3_600_000]) {
      const summary = histogramOf([ms]).summary();
      assert.equal(summary.count, 1);
      close(summary.p50, ms, `p50 of [${ms}]`);
      close(summary.p99, ms, `p99 of [${ms}]`);
      close(summary.max, ms, `max of [${ms}]`);
    }
  });

  it('no percentile exceeds the exact max (a bucket edge used to give p99 30.015 for one 30 ms sample)', () => {
    assert.deepEqual(histogramOf([30]).summary(), { count: 1, p50: 30, p99: 30, max: 30 });
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 3_600_000, noNaN: true }), { minLength: 1, maxLength: 50 }),
        (values) => {
          const { p50, p99, max } = histogramOf(values).summary();
          assert.ok((p50 ?? 0) <= (p99 ?? 0) && (p99 ?? 0) <= (max ?? 0), JSON.stringify({ p50, p99, max }));
        },
      ),
    );
  });

  it('resolution is one microsecond: 0 and sub-µs values count as 1 µs', () => {
    const summary = histogramOf([0, 0.0004, 0.0001]).summary();
    assert.equal(summary.count, 3);
    assert.equal(summary.max, 0.001);
    assert.equal(summary.p50, 0.001);
  });

  it('rounds to whole microseconds: reported values have at most three decimals', () => {
    const summary = histogramOf([1.23456, 2.34567, 3.45678]).summary();
    for (const value of [summary.p50, summary.p99, summary.max]) {
      assert.ok(value !== null);
      assert.equal(Math.round(value * 1000) / 1000, value, `${value}`);
    }
    close(summary.max, 3.457, 'max');
    close(summary.p50, 2.346, 'p50');
  });

  it('percentiles of known distributions', () => {
    const cases: Array<{ values: number[]; p50: number; p99: number; max: number }> = [
      { values: Array.from({ length: 100 }, (_, i) => i + 1), p50: 50, p99: 99, max: 100 },
      { values: Array.from({ length: 1000 }, (_, i) => i + 1), p50: 500, p99: 990, max: 1000 },
      // 99 fast acks and one slow one: the slow one is the max but not the p99.
      { values: [...Array(99).fill(2), 5000], p50: 2, p99: 2, max: 5000 },
      // 98 fast, two slow: p99 (the 99th of 100) is slow.
      { values: [...Array(98).fill(2), 5000, 5000], p50: 2, p99: 5000, max: 5000 },
      { values: [3, 1, 2], p50: 2, p99: 3, max: 3 },
    ];
    for (const { values, p50, p99, max } of cases) {
      const shuffled = [...values].reverse();
      for (const input of [values, shuffled]) {
        const summary = histogramOf(input).summary();
        assert.equal(summary.count, values.length);
        close(summary.p50, p50, `p50 of ${values.length} values`);
        close(summary.p99, p99, `p99 of ${values.length} values`);
        close(summary.max, max, `max of ${values.length} values`);
      }
    }
  });

  it('tracks latencies beyond an hour without throwing', () => {
    const summary = histogramOf([5, 2 * 3_600_000]).summary();
    assert.equal(summary.count, 2);
    close(summary.max, 7_200_000, 'max');
    close(summary.p50, 5, 'p50');
  });

  it('property: count, max, p50 and p99 agree with the sorted values (nearest rank)', () => {
    const latency = fc.oneof(
      fc.double({ min: 0, max: 10, noNaN: true }),
      fc.double({ min: 0, max: 3_600_000, noNaN: true }),
      fc.integer({ min: 0, max: 100_000 }),
    );
    fc.assert(
      fc.property(fc.array(latency, { minLength: 1, maxLength: 300 }), (values) => {
        const summary = histogramOf(values).summary();
        // What the histogram holds: whole microseconds, at least 1.
        const sorted = values.map((ms) => Math.max(1, Math.round(ms * 1000)) / 1000).sort((a, b) => a - b);
        const n = sorted.length;
        assert.equal(summary.count, n);
        close(summary.max, sorted[n - 1]!, 'max');
        // p50 is the ⌈n/2⌉-th value (the lower middle one of an even count).
        close(summary.p50, sorted[Math.ceil(n / 2) - 1]!, 'p50');
        // p99 lies between the ⌊0.99·n⌋-th and the ⌈0.99·n⌉-th value.
        const low = sorted[Math.max(1, Math.floor(0.99 * n)) - 1]!;
        const high = sorted[Math.ceil(0.99 * n) - 1]!;
        assert.ok(summary.p99 !== null && summary.p50 !== null && summary.max !== null);
        assert.ok(
          summary.p99 >= low - 0.001 && summary.p99 <= high * (1 + RELATIVE) + 0.001,
          `p99 ${summary.p99} outside [${low}, ${high}]`,
        );
        assert.ok(summary.p50 <= summary.p99, 'p50 ≤ p99');
      }),
      { numRuns: 200 },
    );
  });
});
