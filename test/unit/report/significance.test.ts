import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BOOTSTRAP_METHOD,
  bootstrapMedianDifference,
  seededRandom,
} from '../../../src/report/significance.js';

describe('bootstrapMedianDifference', () => {
  it('two clearly separated samples: significant, the interval around the true shift', () => {
    // Baseline around 100, the run around 188: a shift of 88 with a spread of ±4.
    const baseline = [96, 98, 100, 101, 103, 104, 99];
    const run = baseline.map((v) => v + 88);
    const result = bootstrapMedianDifference(run, baseline, { seed: 7 })!;
    assert.equal(result.method, BOOTSTRAP_METHOD);
    assert.equal(result.medianDifference, 88);
    assert.equal(result.significant, true);
    assert.ok(result.low > 80 && result.low <= 88, `low ${result.low}`);
    assert.ok(result.high >= 88 && result.high < 96, `high ${result.high}`);
  });

  it('the same distribution on both sides: no significant difference', () => {
    const baseline = [10, 14, 9, 12, 15, 11];
    const run = [13, 9, 12, 10, 15, 14];
    const result = bootstrapMedianDifference(run, baseline)!;
    assert.equal(result.significant, false);
    assert.ok(result.low < 0 && result.high > 0);
  });

  it('deterministic: the same seed gives the same interval, another seed may not', () => {
    const a = [1, 5, 2, 8, 3];
    const b = [4, 2, 6, 3, 7];
    assert.deepEqual(
      bootstrapMedianDifference(a, b, { seed: 3 }),
      bootstrapMedianDifference(a, b, { seed: 3 }),
    );
    const draws = (seed: number) => Array.from({ length: 5 }, seededRandom(seed));
    assert.deepEqual(draws(1), draws(1));
    assert.notDeepEqual(draws(1), draws(2));
    for (const x of draws(9)) assert.ok(x >= 0 && x < 1);
  });

  it('a side with one run has no interval', () => {
    assert.equal(bootstrapMedianDifference([1], [1, 2, 3]), null);
    assert.equal(bootstrapMedianDifference([1, 2], [3]), null);
    assert.notEqual(bootstrapMedianDifference([1, 2], [3, 4]), null);
  });

  it('the interval is a 95 % one: narrower at 80 %', () => {
    const a = [3, 9, 4, 12, 6, 8, 5];
    const b = [1, 7, 2, 5, 3, 9, 4];
    const wide = bootstrapMedianDifference(a, b, { confidence: 0.95 })!;
    const narrow = bootstrapMedianDifference(a, b, { confidence: 0.8 })!;
    assert.ok(narrow.high - narrow.low < wide.high - wide.low);
  });
});
