import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseShard, shardBlock, shardLabel, shardOwnsStripe, WHOLE } from '../../../src/workload/shard.js';

describe('parseShard', () => {
  it('reads 0-based i/n', () => {
    assert.deepEqual(parseShard('0/3'), { index: 0, count: 3 });
    assert.deepEqual(parseShard(' 2 / 3 '), { index: 2, count: 3 });
    assert.equal(shardLabel(parseShard('6/7')), '6/7');
  });
  it('refuses what is not a shard, naming why', () => {
    assert.throws(() => parseShard('3/3'), /0-based.*below 3/);
    assert.throws(() => parseShard('0/0'), /at least 1/);
    assert.throws(() => parseShard('1'), /not i\/n/);
    assert.throws(() => parseShard('-1/3'), /not i\/n/);
    assert.throws(() => parseShard('a/b'), /not i\/n/);
  });
});

describe('shardBlock', () => {
  it('for n = 1…7 the blocks are disjoint, in order, cover every item and differ by at most one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 0, max: 100_000 }), (count, total) => {
        let next = 0;
        const sizes: number[] = [];
        for (let index = 0; index < count; index++) {
          const { start, end } = shardBlock({ index, count }, total);
          assert.equal(start, next);
          next = end;
          sizes.push(end - start);
        }
        assert.equal(next, total);
        assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
      }),
    );
  });
  it('the whole run is one block', () => {
    assert.deepEqual(shardBlock(WHOLE, 10), { start: 0, end: 10 });
  });
});

describe('shardOwnsStripe', () => {
  it('every position has exactly one owner, and owners take turns', () => {
    for (let count = 1; count <= 7; count++) {
      const owners = Array.from({ length: 50 }, (_, position) =>
        Array.from({ length: count }, (_, index) => index).filter((index) =>
          shardOwnsStripe({ index, count }, position),
        ),
      );
      for (const [position, owner] of owners.entries()) assert.deepEqual(owner, [position % count]);
    }
  });
});
