/** --scale's framing: equal frames that add up to exactly the scaled record count. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { framing } from '../../../src/run/shaped-synth-run.js';

describe('framing', () => {
  it('the largest frame size that divides the total, not above the limit', () => {
    assert.deepEqual(framing(200, 50), { frames: 4, recordsPerFrame: 50 });
    assert.deepEqual(framing(200_010, 1000), { frames: 226, recordsPerFrame: 885 });
    assert.deepEqual(framing(30, 500), { frames: 1, recordsPerFrame: 30 });
    assert.deepEqual(framing(13, 5), { frames: 13, recordsPerFrame: 1 });
    for (const [total, limit] of [
      [997, 100],
      [1000, 7],
      [123_456, 500],
    ] as const) {
      const { frames, recordsPerFrame } = framing(total, limit);
      assert.equal(frames * recordsPerFrame, total);
      assert.ok(recordsPerFrame <= limit);
    }
  });
});
