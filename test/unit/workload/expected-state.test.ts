import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSample, comparedAttributes, sampleIds } from '../../../src/workload/expected-state.js';
import { FixedRecordEncoder } from '../../../src/workload/fixed-record-encoder.js';
import type { ExpectedState } from '../../../src/workload/operation-plan.js';

/** Ids 1…10: even ids deleted, odd id k in generation k % 3. */
const STATE: ExpectedState = {
  maxId: 10,
  presentCount: 5,
  generationOf: (id) => (id >= 1 && id <= 10 && id % 2 === 1 ? id % 3 : undefined),
};
const encoder = new FixedRecordEncoder({
  seed: 1,
  tableName: 't',
  recordSize: 60,
  recordsPerFrame: 10,
  blobSize: 0,
  blobsPerFrame: 0,
});
const attributes = comparedAttributes(encoder, 1);
const ids = sampleIds(STATE, 1, 1);
const rowsAsExpected = () =>
  ids.flatMap((id) => {
    const generation = STATE.generationOf(id);
    return generation === undefined ? [] : [{ ...encoder.expected(id, generation) }];
  });

describe('sampleIds', () => {
  it('all ids when fewer than the sample; else distinct, ascending, in range, deterministic', () => {
    assert.deepEqual(ids, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const big = { ...STATE, maxId: 100_000 };
    const sample = sampleIds(big, 1, 7);
    assert.equal(sample.length, 200);
    assert.equal(new Set(sample).size, 200);
    assert.ok(sample.every((id, i) => id >= 1 && id <= 100_000 && (i === 0 || id > sample[i - 1]!)));
    assert.deepEqual(sampleIds(big, 1, 7), sample);
    assert.notDeepEqual(sampleIds(big, 1, 8), sample);
    assert.deepEqual(sampleIds({ ...STATE, maxId: 0 }, 1, 7), []);
  });
});

describe('checkSample', () => {
  it('rows equal to the expected state pass; {id: null} rows (4.7.29 for a deleted id) count as absent', () => {
    assert.deepEqual(attributes, ['id', 'generation', 'payload']);
    const rows = [...rowsAsExpected(), { id: null, generation: null, payload: null }];
    assert.deepEqual(checkSample(ids, rows, STATE, encoder, attributes), {
      checked: 10,
      present: 5,
      mismatches: 0,
      firstMismatches: [],
    });
  });

  it('a missing record, a deleted one still there and a stale version are each a mismatch, named', () => {
    const rows = rowsAsExpected().filter((row) => row.id !== 3);
    rows.push({ ...encoder.expected(4, 0) });
    const five = rows.find((row) => row.id === 5)!;
    Object.assign(five, encoder.expected(5, 1));
    const sample = checkSample(ids, rows, STATE, encoder, attributes);
    assert.equal(sample.mismatches, 3);
    assert.match(sample.firstMismatches[0]!, /^id 3: missing \(expected generation 0\)$/);
    assert.match(sample.firstMismatches[1]!, /^id 4: should be absent/);
    assert.match(sample.firstMismatches[2]!, /^id 5: generation is 1, expected 2 \(generation 2\)$/);
  });
});
