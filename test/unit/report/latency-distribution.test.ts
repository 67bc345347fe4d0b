import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LATENCY_BARS, LatencyDistribution } from '../../../src/report/latency-distribution.js';
import { seeded } from '../support.js';

/** The bars the HTML report drew from the whole list before (the exact reference). */
function exactBars(values: number[], bars = LATENCY_BARS): number[] {
  const lo = Math.min(...values);
  const width = Math.max((Math.max(...values) - lo) / bars, 0.001);
  const counts = Array.from({ length: bars }, () => 0);
  for (const v of values) counts[Math.min(bars - 1, Math.floor((v - lo) / width))]!++;
  return counts;
}

describe('LatencyDistribution', () => {
  it("bars match the exact list's bars within the values near a bar edge", () => {
    const random = seeded(7);
    // A skewed mix like acks: most near 20 ms, a tail to 2 s.
    const values = Array.from({ length: 20_000 }, () => {
      const r = random();
      return r < 0.9 ? 15 + random() * 10 : 25 + random() ** 3 * 2000;
    });
    const distribution = new LatencyDistribution();
    for (const v of values) distribution.record(v);
    const { frames, barMs, counts } = distribution.bars();
    assert.equal(frames, values.length);
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      values.length,
      'every frame in a bar',
    );
    const exact = exactBars(values);
    const lo = Math.min(...values);
    const width = (Math.max(...values) - lo) / LATENCY_BARS;
    assert.ok(Math.abs(barMs[0]! - (lo + width / 2)) < 0.001);
    // A bar may differ from the exact one only by the values within 1 % of one of its edges.
    for (let i = 0; i < LATENCY_BARS; i++) {
      const edges = [lo + i * width, lo + (i + 1) * width];
      const nearEdge = values.filter((v) => edges.some((e) => Math.abs(v - e) <= e * 0.01)).length;
      assert.ok(Math.abs(counts[i]! - exact[i]!) <= nearEdge, `bar ${i}: ${counts[i]} vs ${exact[i]}`);
    }
  });

  it('memory is bounded by the range of values, not by how many: a million acks use a few hundred buckets', () => {
    const distribution = new LatencyDistribution();
    for (let i = 0; i < 1_000_000; i++) distribution.record(5 + (i % 1000) / 10);
    assert.equal(distribution.frames, 1_000_000);
    // 5–105 ms in 1 % buckets: log(21)/log(1.01) ≈ 306.
    assert.ok(distribution.bucketCount <= 310, `${distribution.bucketCount} buckets`);
  });

  it('one value, zero, and no value at all', () => {
    const one = new LatencyDistribution();
    one.record(42);
    one.record(42);
    assert.equal(one.bars().counts[0], 2);
    const zero = new LatencyDistribution();
    zero.record(0);
    zero.record(3);
    assert.deepEqual([zero.bars().counts[0], zero.bars().counts[29]], [1, 1]);
    const none = new LatencyDistribution();
    none.record(Number.NaN);
    none.record(-1);
    const empty = none.bars();
    assert.equal(empty.frames, 0);
    assert.equal(empty.counts.length, LATENCY_BARS);
    assert.equal(
      empty.counts.reduce((a, b) => a + b, 0),
      0,
    );
  });
});
