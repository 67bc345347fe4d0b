import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeRecordKey, readRecordKey } from '../../../src/protocol/keys.js';

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
});
