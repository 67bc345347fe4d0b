/** Shapes learned from sample records: types, sizes, ranges, null rates, value lists, nesting. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ShapeLearner } from '../../../src/workload/shape-inference.js';

describe('ShapeLearner', () => {
  it('learns types, sizes, ranges, null rates, value lists and nesting', () => {
    const learner = new ShapeLearner();
    for (let i = 0; i < 40; i++) {
      learner.add({
        id: i,
        name: `name ${i}`,
        kind: ['a', 'b'][i % 2],
        n: i,
        x: i + 0.5,
        ok: i % 3 === 0,
        at: new Date(Date.UTC(2025, 0, 1 + i)),
        note: i % 4 === 0 ? null : 'n',
        dims: { w: i, h: `${i}` },
        tags: ['t'.repeat(1 + (i % 3))],
        bin: new Uint8Array(3),
        ...(i >= 20 ? { late: i } : {}),
      });
    }
    const { primaryKey, attributes, skipped } = learner.shape(
      'id',
      ['kind'],
      [{ name: 'declared', type: 'Int' }],
    );
    assert.equal(primaryKey, 'id');
    const by = Object.fromEntries(attributes.map((a) => [a.name, a]));
    assert.equal(by.id, undefined);
    assert.deepEqual(by.name, { name: 'name', type: 'string', size: { min: 6, max: 7 } });
    assert.deepEqual(by.kind, { name: 'kind', type: 'string', values: ['a', 'b'], indexed: true });
    assert.deepEqual(by.n, { name: 'n', type: 'int', range: { min: 0, max: 39 } });
    assert.deepEqual(by.x, { name: 'x', type: 'float', range: { min: 0.5, max: 39.5 } });
    assert.equal(by.ok!.type, 'boolean');
    assert.deepEqual(by.at!.range, { min: Date.UTC(2025, 0, 1), max: Date.UTC(2025, 0, 40) });
    assert.equal(by.note!.nullRate, 0.25);
    assert.equal(by.dims!.type, 'object');
    assert.deepEqual(
      by.dims!.attributes!.map((a) => [a.name, a.type]),
      [
        ['w', 'int'],
        ['h', 'string'],
      ],
    );
    assert.deepEqual(by.tags!.size, { min: 1, max: 1 });
    assert.deepEqual(by.tags!.items, { type: 'string', values: ['t', 'tt', 'ttt'] });
    assert.equal(by.late!.nullRate, 0.5, 'missing from the first 20 records: null there');
    assert.deepEqual(skipped, ['bin']);
    // Rows were sampled: a declared attribute none of them has is always null.
    assert.equal(by.declared!.nullRate, 1);
  });

  it('with no rows, declared attributes take their declared types', () => {
    const { attributes } = new ShapeLearner().shape(
      'id',
      [],
      [{ name: 'price', type: 'Float' }, { name: 'label' }],
    );
    assert.deepEqual(
      attributes.map((a) => [a.name, a.type, a.nullRate]),
      [
        ['price', 'float', undefined],
        ['label', 'string', undefined],
      ],
    );
  });
});
