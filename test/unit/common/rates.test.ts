import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatRate, framesPerSecond, parseRate, rateUnitOf } from '../../../src/common/rates.js';

describe('parseRate', () => {
  it('reads records/s, frames/s and bare numbers (frames/s)', () => {
    assert.deepEqual(parseRate('5000rps'), { perSecond: 5000, unit: 'rps' });
    assert.deepEqual(parseRate('0.5fps'), { perSecond: 0.5, unit: 'fps' });
    assert.deepEqual(parseRate(' 12.5 RPS '), { perSecond: 12.5, unit: 'rps' });
    assert.deepEqual(parseRate('10'), { perSecond: 10, unit: 'fps' });
  });

  it('refuses zero (unless allowed), negatives, other units and junk with one line naming the input', () => {
    for (const junk of ['0', '0rps', '-5rps', '5rpm', 'abc', '', '1e3', '.5', '5 r p s']) {
      assert.throws(
        () => parseRate(junk),
        (error: Error) => {
          assert.match(error.message, /is not a rate above 0/);
          assert.ok(error.message.includes(`"${junk}"`));
          assert.ok(!error.message.includes('\n'));
          return true;
        },
      );
    }
    assert.deepEqual(parseRate('0rps', true), { perSecond: 0, unit: 'rps' });
    assert.throws(() => parseRate('-1', true), /is not a rate of 0 or more/);
  });

  it('rateUnitOf names the unit or none', () => {
    assert.equal(rateUnitOf('5rps'), 'rps');
    assert.equal(rateUnitOf('5FPS'), 'fps');
    assert.equal(rateUnitOf('5'), undefined);
    assert.equal(rateUnitOf('junk'), undefined);
  });
});

describe('framesPerSecond / formatRate', () => {
  it('converts records/s through the records per frame', () => {
    assert.equal(framesPerSecond({ perSecond: 5000, unit: 'rps' }, 250), 20);
    assert.equal(framesPerSecond({ perSecond: 3, unit: 'fps' }, 250), 3);
  });

  it('prints the unit in words', () => {
    assert.equal(formatRate(5000, 'rps'), '5,000 records/s');
    assert.equal(formatRate(0.5, 'fps'), '0.5 frames/s');
  });
});
