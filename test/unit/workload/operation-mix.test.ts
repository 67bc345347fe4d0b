import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatOperationMix, isPureInserts, parseOperationMix } from '../../../src/workload/operation-mix.js';

describe('parseOperationMix', () => {
  it('normalises weights given in any order', () => {
    assert.deepEqual(parseOperationMix('delete=5,insert=70,update=25'), {
      insert: 0.7,
      update: 0.25,
      delete: 0.05,
    });
    assert.deepEqual(parseOperationMix('update=1, insert=1'), { insert: 0.5, update: 0.5, delete: 0 });
    assert.deepEqual(parseOperationMix('insert=3'), { insert: 1, update: 0, delete: 0 });
  });

  it('refuses malformed, unknown, duplicate and all-zero mixes with a line naming --mix', () => {
    for (const [spec, reason] of [
      ['insert', /not op=weight/],
      ['insert=-1', /not op=weight/],
      ['insert=70,,update=5', /not op=weight/],
      ['upsert=5', /unknown operation "upsert"/],
      ['insert=5,insert=6', /insert is given twice/],
      ['insert=0,update=0', /sum to 0/],
    ] as const) {
      assert.throws(
        () => parseOperationMix(spec),
        (e: Error) => e.message.startsWith(`--mix ${spec}:`) && reason.test(e.message),
        spec,
      );
    }
  });

  it('formats as percentages and tells pure inserts apart', () => {
    const mix = parseOperationMix('insert=70,update=25,delete=5');
    assert.equal(formatOperationMix(mix), 'insert=70,update=25,delete=5');
    assert.equal(formatOperationMix(parseOperationMix('update=1,insert=2')), 'insert=66.67,update=33.33');
    assert.equal(isPureInserts(mix), false);
    assert.equal(isPureInserts(parseOperationMix('insert=1,delete=0')), true);
  });
});
