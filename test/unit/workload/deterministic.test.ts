import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesFromSeed, mix, prng, textPool } from '../../../src/workload/deterministic.js';

describe('deterministic data', () => {
  it('prng is reproducible per seed and yields unsigned 32-bit integers', () => {
    const a = prng(1);
    const b = prng(1);
    const c = prng(2);
    const sa = Array.from({ length: 100 }, () => a());
    const sb = Array.from({ length: 100 }, () => b());
    const sc = Array.from({ length: 100 }, () => c());
    assert.deepEqual(sa, sb);
    assert.notDeepEqual(sa, sc);
    assert.ok(sa.every((v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff));
    assert.ok(new Set(sa).size > 95);
  });

  it('mix is a deterministic 32-bit function of both inputs', () => {
    assert.equal(mix(1, 2), mix(1, 2));
    assert.notEqual(mix(1, 2), mix(2, 1));
    assert.notEqual(mix(1, 2), mix(1, 3));
    for (let i = 0; i < 100; i++) {
      const v = mix(7, i);
      assert.ok(Number.isInteger(v) && v >= 0 && v <= 0xffffffff);
    }
  });

  it('textPool is printable base64-alphabet text of the requested length', () => {
    for (const length of [0, 1, 2, 3, 4, 5, 1001]) {
      const pool = textPool(9, length);
      assert.equal(pool.length, length);
      assert.match(pool.toString('latin1'), /^[A-Za-z0-9+/]*$/);
    }
    assert.ok(textPool(9, 100).equals(textPool(9, 100)));
    assert.ok(!textPool(9, 100).equals(textPool(10, 100)));
  });

  it('bytesFromSeed gives reproducible bytes of any length', () => {
    for (const length of [0, 1, 3, 4, 7, 1000]) {
      const bytes = bytesFromSeed(5, length);
      assert.equal(bytes.length, length);
      assert.ok(bytes.equals(bytesFromSeed(5, length)));
    }
    assert.ok(!bytesFromSeed(5, 64).equals(bytesFromSeed(6, 64)));
    // A longer blob starts with the shorter one's whole words.
    assert.ok(bytesFromSeed(5, 100).subarray(0, 96).equals(bytesFromSeed(5, 96)));
  });
});
