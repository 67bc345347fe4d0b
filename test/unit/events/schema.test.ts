/** The schema's one function: a stream's key, which the result, the NDJSON file and the HTML share. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { streamKey } from '../../../src/events/schema.js';

describe('streamKey', () => {
  it('is member/database', () => {
    assert.equal(streamKey('node-a', 'data'), 'node-a/data');
  });

  it('tells apart any two (member, database) pairs whose names hold no "/" (Harper names cannot)', () => {
    const name = fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/);
    fc.assert(
      fc.property(name, name, name, name, (m1, d1, m2, d2) => {
        if (m1 === m2 && d1 === d2) return;
        assert.notEqual(streamKey(m1, d1), streamKey(m2, d2));
      }),
    );
  });
});
