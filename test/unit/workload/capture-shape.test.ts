/** Shapes of the shipped captures' tables, and a file that is not a capture refused as bad input (6). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode, HarperReplayError } from '../../../src/common/errors.js';
import { captureShapes } from '../../../src/workload/capture-shape.js';

describe('captureShapes', () => {
  it('catchup-40x500: kennel.dog {id, name, age}, 20,001 puts', async () => {
    const [dog, ...rest] = await captureShapes('captures/catchup-40x500.hrcap');
    assert.equal(rest.length, 0);
    assert.equal(dog!.table, 'dog');
    assert.equal(dog!.records, 20_001);
    assert.equal(dog!.shape.primaryKey, 'id');
    assert.deepEqual(
      dog!.shape.attributes.map((a) => [a.name, a.type]),
      [
        ['name', 'string'],
        ['age', 'int'],
      ],
    );
  });

  it('proxy-three-databases: every table, its indexed attributes from the structure; blobs are skipped', async () => {
    const shapes = await captureShapes('captures/proxy-three-databases.hrcap');
    assert.deepEqual(
      shapes.map((s) => s.table),
      ['animal', 'crop', 'item'],
    );
    assert.ok(shapes.every((s) => s.shape.attributes.find((a) => a.name === 'name')?.indexed));
    const [photos] = await captureShapes('captures/blobs-12x50k.hrcap');
    assert.deepEqual(photos!.skipped, ['blob']);
  });

  it("finalValues: each id the table holds at the capture's end with its last value (deleted ids gone)", async () => {
    const [dog] = await captureShapes('captures/catchup-40x500.hrcap', { finalValues: true });
    const values = dog!.finalValues!;
    // 20,000 inserted, id 1 upserted, ids 2 and 3 deleted at the end.
    assert.equal(values.size, 19_998);
    assert.deepEqual(values.get(1), { id: 1, name: 'Rex', age: 4 });
    assert.equal(values.has(2), false);
    assert.equal(values.has(3), false);
    // make-captures.mjs: batch b's i-th record is id 500b + i + 1, age (b + i) % 20.
    assert.deepEqual(values.get(20_000), { id: 20_000, name: 'dog 20000', age: (39 + 499) % 20 });
    const [plain] = await captureShapes('captures/catchup-40x500.hrcap');
    assert.equal(plain!.finalValues, undefined);
  });

  it('a file that is not a capture is bad input', async () => {
    await assert.rejects(captureShapes('package.json'), (error: Error) => {
      assert.ok(error instanceof HarperReplayError);
      assert.equal(error.exitCode, ExitCode.BAD_INPUT);
      assert.match(error.message, /package\.json/);
      return true;
    });
  });
});
