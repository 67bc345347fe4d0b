import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  parseRunId,
  parseShard,
  parseStartAt,
  shardBaseTime,
  shardBlock,
  shardLabel,
  shardOwnsStripe,
  shardSequenceBase,
  stripeCount,
  WHOLE,
} from '../../../src/workload/shard.js';

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

describe('stripeCount', () => {
  it('for n = 1…7 counts exactly the positions a shard owns', () => {
    for (let count = 1; count <= 7; count++) {
      for (let total = 0; total <= 30; total++) {
        for (let index = 0; index < count; index++) {
          const owned = Array.from({ length: total }, (_, p) => p).filter((p) =>
            shardOwnsStripe({ index, count }, p),
          );
          assert.equal(stripeCount({ index, count }, total), owned.length, `${index}/${count} of ${total}`);
        }
      }
    }
  });
});

describe('parseRunId', () => {
  it('takes 1 to 40 letters, digits and dashes', () => {
    assert.equal(parseRunId('Soak-2026-12-04'), 'Soak-2026-12-04');
    assert.equal(parseRunId('x'.repeat(40)), 'x'.repeat(40));
    for (const bad of ['', 'x'.repeat(41), 'a_b', 'a b', 'ü'])
      assert.throws(() => parseRunId(bad), /not a run id \(1 to 40 letters/, bad);
  });
});

describe('parseStartAt', () => {
  const now = Date.UTC(2026, 11, 4, 20, 0, 0);
  it('reads ISO 8601 with a zone, epoch ms and +DURATION from now', () => {
    assert.equal(parseStartAt('2026-12-04T20:00:10Z', now), now + 10_000);
    assert.equal(parseStartAt('2026-12-04T21:00:10+01:00', now), now + 10_000);
    assert.equal(parseStartAt('2026-12-04T20:00:10.250Z', now), now + 10_250);
    assert.equal(parseStartAt(String(now + 5000), now), now + 5000);
    assert.equal(parseStartAt('+10s', now), now + 10_000);
    assert.equal(parseStartAt('+1.5m', now), now + 90_000);
    assert.equal(parseStartAt('+0s', now), now, '+0s: now, which any shard is late for');
  });
  it('refuses a time already past, and what is not a time, saying why', () => {
    assert.throws(() => parseStartAt('2026-12-04T19:59:59Z', now), /already past: give a time ahead/);
    assert.throws(
      () => parseStartAt(String(Math.floor(now / 1000) + 60), now),
      /epoch milliseconds, not seconds/,
    );
    assert.throws(() => parseStartAt('2026-12-04T20:00:10', now), /not a time \(ISO 8601 with a zone/);
    assert.throws(() => parseStartAt('10s', now), /not a time/);
    assert.throws(() => parseStartAt('tomorrow', now), /not a time/);
    assert.throws(() => parseStartAt('2026-13-45T20:00:00Z', now), /not a valid time/);
  });
});

describe('shardBaseTime', () => {
  it('is the common start when there is one, else the same instant from the run id on every machine', () => {
    assert.equal(shardBaseTime({ runId: 'a', startAt: 1_234 }), 1_234);
    const base = shardBaseTime({ runId: 'soak-1' });
    assert.equal(shardBaseTime({ runId: 'soak-1' }), base);
    assert.notEqual(shardBaseTime({ runId: 'soak-2' }), base);
    assert.ok(base >= Date.UTC(2025, 0, 1) && base < Date.UTC(2025, 0, 1) + 2 ** 32, `${base}`);
  });
});

describe('shardSequenceBase', () => {
  it('is the version base when that is later than now (--start-at: every shard alike), else this process’s now', () => {
    const now = Date.UTC(2026, 11, 4, 21, 0, 0);
    const startAt = now + 30_000;
    assert.equal(shardSequenceBase(startAt, now), startAt);
    assert.equal(shardSequenceBase(startAt, now + 5), startAt, 'two shards, two clocks, one base');
    // The run id's instant (early 2025) is long past: a tail there is below 4.7.29's "now − 60 s" for a new peer.
    const fromRunId = shardBaseTime({ runId: 'soak-1' });
    assert.equal(shardSequenceBase(fromRunId, now), now);
  });
});
