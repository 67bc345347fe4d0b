import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prng } from '../../../src/workload/deterministic.js';
import {
  formatKeyDistribution,
  parseKeyDistribution,
  rankSampler,
} from '../../../src/workload/key-distribution.js';

function histogram(spec: string, n: number, draws: number, seed = 7): Float64Array {
  const sampler = rankSampler(parseKeyDistribution(spec));
  const random = prng(seed);
  const uniform = () => random() / 2 ** 32;
  const counts = new Float64Array(n + 1);
  let previous = 0;
  for (let i = 0; i < draws; i++) {
    const rank = sampler.draw(n, uniform, previous);
    assert.ok(rank >= 1 && rank <= n, `rank ${rank} in 1…${n}`);
    counts[rank]!++;
    previous = rank;
  }
  return counts;
}

/** Least-squares slope of log(count) against log(rank) over ranks 1…upTo. */
function logLogSlope(counts: Float64Array, upTo: number): number {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let r = 1; r <= upTo; r++) {
    xs.push(Math.log(r));
    ys.push(Math.log(counts[r]!));
  }
  const mx = xs.reduce((a, b) => a + b) / xs.length;
  const my = ys.reduce((a, b) => a + b) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return num / den;
}

describe('parseKeyDistribution', () => {
  it('reads the four kinds and spells them back', () => {
    for (const spec of ['uniform', 'sequential', 'zipf:1.1', 'zipf:0.5', 'hot:10%', 'hot:20%:95%']) {
      assert.equal(formatKeyDistribution(parseKeyDistribution(spec)), spec);
    }
    assert.deepEqual(parseKeyDistribution('hot:10%'), { kind: 'hot', hotFraction: 0.1, opFraction: 0.9 });
  });

  it('refuses bad values with a line naming --keys', () => {
    for (const spec of [
      'zipf',
      'zipf:0',
      'zipf:-1',
      'zipf:abc',
      'hot',
      'hot:10',
      'hot:0%',
      'hot:100%',
      'hot:5%:120%',
      'random',
      'uniform:3',
    ]) {
      assert.throws(
        () => parseKeyDistribution(spec),
        (e: Error) => e.message.startsWith(`--keys ${spec}:`),
        spec,
      );
    }
  });
});

describe('rank samplers', () => {
  it('zipf:S has a rank-frequency slope of −S over the top ranks (200k draws)', () => {
    for (const exponent of [0.8, 1.1, 1.5]) {
      const counts = histogram(`zipf:${exponent}`, 10_000, 200_000);
      const slope = logLogSlope(counts, 20);
      // Top 20 ranks hold ≥ 1,000 draws each: sampling noise moves the slope by < 0.02.
      assert.ok(Math.abs(slope + exponent) < 0.08, `zipf:${exponent} slope ${slope.toFixed(3)}`);
      // Rank 1's share matches 1 / H(n, S) within 5 %.
      let harmonic = 0;
      for (let r = 1; r <= 10_000; r++) harmonic += r ** -exponent;
      const share = counts[1]! / 200_000;
      assert.ok(Math.abs(share * harmonic - 1) < 0.05, `zipf:${exponent} rank-1 share ${share}`);
    }
  });

  it('zipf works for tiny n and after n changes', () => {
    const sampler = rankSampler({ kind: 'zipf', exponent: 1.1 });
    const random = prng(3);
    const uniform = () => random() / 2 ** 32;
    for (const n of [1, 2, 3, 1000, 5, 1]) {
      for (let i = 0; i < 500; i++) {
        const r = sampler.draw(n, uniform, 0);
        assert.ok(r >= 1 && r <= n);
      }
    }
  });

  it('hot:10% sends 90 % of the draws to the first 10 % of ranks, uniformly within each part', () => {
    const counts = histogram('hot:10%', 1000, 200_000);
    const hot = counts.slice(1, 101).reduce((a, b) => a + b);
    assert.ok(Math.abs(hot / 200_000 - 0.9) < 0.01, `hot share ${hot / 200_000}`);
    // Each hot rank expects 1,800 draws, each cold one 22: both within wide bounds.
    for (let r = 1; r <= 100; r++)
      assert.ok(counts[r]! > 1500 && counts[r]! < 2100, `hot rank ${r}: ${counts[r]}`);
    const hotQ = histogram('hot:20%:50%', 1000, 100_000)
      .slice(1, 201)
      .reduce((a, b) => a + b);
    assert.ok(Math.abs(hotQ / 100_000 - 0.5) < 0.01, `hot:20%:50% share ${hotQ / 100_000}`);
  });

  it('uniform spreads evenly and sequential walks on, wrapping', () => {
    const counts = histogram('uniform', 100, 100_000);
    for (let r = 1; r <= 100; r++)
      assert.ok(counts[r]! > 800 && counts[r]! < 1200, `rank ${r}: ${counts[r]}`);
    const sequential = rankSampler({ kind: 'sequential' });
    const walk = [0, 1, 2, 4, 5].map((previous) => sequential.draw(5, () => 0.5, previous));
    assert.deepEqual(walk, [1, 2, 3, 5, 1]);
  });
});
