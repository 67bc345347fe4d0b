/** Plan ids ↔ captured keys (--scale --mix rewrites the captured ids), and the expected state seen through them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode, HarperReplayError } from '../../../src/common/errors.js';
import { CapturedIdSpace, capturedIds } from '../../../src/workload/captured-ids.js';
import { parseKeyDistribution } from '../../../src/workload/key-distribution.js';
import { parseOperationMix } from '../../../src/workload/operation-mix.js';
import { OperationPlan } from '../../../src/workload/operation-plan.js';

describe('CapturedIdSpace', () => {
  const space = new CapturedIdSpace(Uint32Array.from([1, 2, 5, 100, 104]));

  it('plan ids 1…n are the captured ids, later ones follow the largest', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7].map((k) => space.keyOf(k)),
      [1, 2, 5, 100, 104, 105, 106],
    );
    for (let k = 1; k <= 50; k++) assert.equal(space.localOf(space.keyOf(k)), k);
  });

  it('a key the plan never writes has no plan id', () => {
    for (const key of [0, 3, 4, 6, 99, 101, 103, -1, 2.5])
      assert.equal(space.localOf(key), undefined, String(key));
  });

  it('refuses ids that are not ascending and distinct', () => {
    assert.throws(() => new CapturedIdSpace(Uint32Array.from([3, 3])), /ascending and distinct/);
    assert.throws(() => new CapturedIdSpace(Uint32Array.from([4, 2])), /ascending and distinct/);
  });

  it("maps a mix's final state onto the table's keys: the same generations, count and largest key", () => {
    const plan = new OperationPlan({
      seed: 3,
      frames: 20,
      recordsPerFrame: 10,
      mix: parseOperationMix('insert=60,update=30,delete=10'),
      keys: parseKeyDistribution('uniform'),
      leadingInserts: space.size,
    });
    const planned = plan.finalState();
    const mapped = space.expected(planned);
    assert.equal(mapped.presentCount, planned.presentCount);
    assert.equal(mapped.maxId, space.keyOf(planned.maxId));
    let present = 0;
    for (let key = 1; key <= mapped.maxId; key++) {
      const local = space.localOf(key);
      const generation = mapped.generationOf(key);
      assert.equal(generation, local === undefined ? undefined : planned.generationOf(local), `key ${key}`);
      if (generation !== undefined) present++;
    }
    assert.equal(present, planned.presentCount);
  });
});

describe('capturedIds', () => {
  it('sorts the ids; refuses a non-integer id naming the table (usage)', () => {
    assert.deepEqual([...capturedIds([104, 1, 5], 'x.hrcap#t')], [1, 5, 104]);
    for (const bad of ['a1', 0, 1.5, 2 ** 32]) {
      assert.throws(
        () => capturedIds([1, bad], 'x.hrcap#t'),
        (error: unknown) =>
          error instanceof HarperReplayError &&
          error.exitCode === ExitCode.USAGE &&
          error.message.includes('x.hrcap#t') &&
          error.message.includes(JSON.stringify(bad)),
      );
    }
  });
});
