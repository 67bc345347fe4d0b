/** The mix as the meta describes it: the run's own plan counts, before the run. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeOperations } from '../../../src/run/operations-meta.js';
import { parseKeyDistribution } from '../../../src/workload/key-distribution.js';
import { parseOperationMix } from '../../../src/workload/operation-mix.js';
import { OperationPlan } from '../../../src/workload/operation-plan.js';

describe('describeOperations', () => {
  it('spells the mix and keys and gives the plan’s planned and sent counts', () => {
    const mix = parseOperationMix('insert=70,update=25,delete=5');
    const keys = parseKeyDistribution('zipf:1.1');
    const shape = { seed: 3, frames: 8, recordsPerFrame: 40 };
    const meta = describeOperations(shape, mix, keys);
    const counts = new OperationPlan({ ...shape, mix, keys }).counts();
    assert.equal(meta.mix, 'insert=70,update=25,delete=5');
    assert.equal(meta.keys, 'zipf:1.1');
    assert.deepEqual(meta.sent, counts.sent);
    assert.deepEqual(meta.planned, counts.planned);
    assert.equal(meta.sent.insert + meta.sent.update + meta.sent.delete, 320);
    assert.equal(describeOperations(shape, mix, undefined).keys, 'uniform');
  });
});
