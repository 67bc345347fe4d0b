import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { writeKey } from 'ordered-binary';
import { encodeRecordKey, readRecordKey, writeNumberKey } from '../../../src/protocol/keys.js';

describe('record keys (ordered-binary)', () => {
  it('encodes the live examples of PROTOCOL §3.4', () => {
    const cases: [string | number, string][] = [
      [1, '13ff0000'],
      [2, '14000000'],
      [3, '14008000'],
      [1000, '1408f400'],
      ['abc', '616263'],
      ['1', '31'],
    ];
    for (const [key, hex] of cases) {
      const bytes = encodeRecordKey(key);
      assert.equal(bytes.toString('hex'), hex, `key ${String(key)}`);
      assert.deepEqual(readRecordKey(bytes, 0, bytes.length), key);
    }
  });

  it('returns an independent copy', () => {
    const a = encodeRecordKey('a');
    const b = encodeRecordKey('b');
    assert.equal(a.toString(), 'a');
    assert.equal(b.toString(), 'b');
  });

  it('writeNumberKey writes what ordered-binary writes for every number', () => {
    const target = Buffer.alloc(32);
    const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
    const reference = Buffer.alloc(32);
    const check = (key: number) => {
      target.fill(0xee);
      reference.fill(0xee);
      const end = writeNumberKey(key, target, 3, view);
      const expectedEnd = writeKey(key, reference, 3);
      assert.equal(end, expectedEnd, `length of key ${key}`);
      assert.equal(
        target.subarray(3, end).toString('hex'),
        reference.subarray(3, end).toString('hex'),
        `key ${key}`,
      );
      // ordered-binary writes -0 with its sign bit as if it were positive and reads something else back: the same
      // bytes from both writers, no round trip.
      if (!Object.is(key, -0)) assert.equal(readRecordKey(target, 3, end), key);
    };
    // Every length class: 4 bytes (powers of two), 6, 8 and 9; ids of every width, fractions, negatives, extremes.
    for (const key of [
      0,
      1,
      2,
      3,
      15,
      16,
      17,
      1000,
      2 ** 20,
      2 ** 20 + 1,
      2 ** 31,
      2 ** 32 - 1,
      2 ** 32,
      2 ** 53 - 1,
    ])
      check(key);
    for (const key of [0.5, 1.1, 1e-300, 1e300, Number.MAX_VALUE, Number.MIN_VALUE, -0, -1, -0.5, -(2 ** 40)])
      check(key);
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (key) => check(key) === undefined));
    fc.assert(fc.property(fc.double({ noNaN: true }), (key) => check(key) === undefined));
  });
});
