import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { median } from '../../../src/common/stats.js';

describe('median', () => {
  it('table: odd counts give the middle value, even counts the mean of the two middle values', () => {
    const cases: Array<[readonly number[], number | undefined]> = [
      [[], undefined],
      [[5], 5],
      [[-3], -3],
      [[1, 2], 1.5],
      [[2, 1], 1.5],
      [[1, 2, 3], 2],
      [[3, 1, 2], 2],
      [[1, 2, 3, 4], 2.5],
      [[4, 3, 2, 1], 2.5],
      [[1, 1, 1, 100], 1],
      [[1, 100, 100, 100], 100],
      [[0, 0, 10, 10], 5],
      [[-5, -1, 0, 7, 1000], 0],
      [[0.1, 0.2], 0.15000000000000002],
      [[10, 2, 33, 4, 5, 6], 5.5],
      // Numeric, not lexicographic, order: a default sort() would put 10 before 9.
      [[9, 10, 100], 10],
      [[1e-9, -1e-9, 0], 0],
      [[Number.MAX_SAFE_INTEGER, 1, 2], 2],
    ];
    for (const [values, expected] of cases) assert.equal(median(values), expected, JSON.stringify(values));
  });

  it('does not overflow on two huge middle values', () => {
    assert.equal(median([Number.MAX_VALUE, Number.MAX_VALUE]), Number.MAX_VALUE);
    assert.equal(median([-Number.MAX_VALUE, Number.MAX_VALUE]), 0);
  });

  it('does not reorder its input', () => {
    const values = [5, 3, 9, 1];
    const frozen = Object.freeze([...values]);
    assert.equal(median(frozen), 4);
    assert.equal(median(values), 4);
    assert.deepEqual(values, [5, 3, 9, 1]);
  });

  const finite = fc.double({ min: -1e300, max: 1e300, noNaN: true });

  it('property: at least half the values are ≤ the median and at least half are ≥ it', () => {
    fc.assert(
      fc.property(fc.array(finite, { minLength: 1, maxLength: 60 }), (values) => {
        const m = median(values);
        assert.ok(m !== undefined);
        const below = values.filter((v) => v <= m).length;
        const above = values.filter((v) => v >= m).length;
        assert.ok(2 * below >= values.length, `${below} of ${values.length} ≤ ${m}`);
        assert.ok(2 * above >= values.length, `${above} of ${values.length} ≥ ${m}`);
        assert.ok(m >= Math.min(...values) && m <= Math.max(...values), 'between min and max');
      }),
      { numRuns: 500 },
    );
  });

  it('property: an odd count gives one of the values; the order of the input does not matter', () => {
    fc.assert(
      fc.property(
        fc.array(finite, { minLength: 1, maxLength: 30 }).filter((values) => values.length % 2 === 1),
        fc.integer({ min: 0, max: 1000 }),
        (values, rotation) => {
          const m = median(values);
          assert.ok(values.includes(m as number), `${m} is one of the values`);
          const r = rotation % values.length;
          const rotated = [...values.slice(r), ...values.slice(0, r)].reverse();
          assert.ok(median(rotated) === m, `${median(rotated)} === ${m}`); // numerically: 0 and -0 may swap places
        },
      ),
      { numRuns: 500 },
    );
  });

  it('property: an even count gives the mean of the two middle values, which bracket it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -1_000_000, max: 1_000_000 }), { minLength: 2, maxLength: 30 }),
        (values) => {
          const list = values.length % 2 ? values.slice(1) : values;
          const m = median(list)!;
          // The k-th smallest value, by counting rather than sorting: the least v with at least k values ≤ v.
          const kth = (k: number) => Math.min(...list.filter((v) => list.filter((w) => w <= v).length >= k));
          const half = list.length / 2;
          assert.equal(m, (kth(half) + kth(half + 1)) / 2, JSON.stringify(list));
        },
      ),
      { numRuns: 500 },
    );
  });
});
