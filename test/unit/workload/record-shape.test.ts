/** Shape descriptions: defaults filled in, and one message per mistake naming where it is. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { indexedAttributes, parseRecordShape, ShapeError } from '../../../src/workload/record-shape.js';

const refuse = (doc: unknown, message: string | RegExp) =>
  assert.throws(
    () => parseRecordShape(doc),
    (error: Error) => {
      assert.ok(error instanceof ShapeError);
      if (typeof message === 'string') assert.equal(error.message, message);
      else assert.match(error.message, message);
      return true;
    },
  );

describe('parseRecordShape', () => {
  it('fills defaults and reads every size form', () => {
    const shape = parseRecordShape({
      attributes: [
        { name: 'a', type: 'string' },
        { name: 'b', type: 'string', size: '1KB-2KB', indexed: true },
        { name: 'c', type: 'string', size: [3, 4] },
        { name: 'd', type: 'array', size: { min: 1, max: 2 }, items: { type: 'int' } },
        { name: 'e', type: 'date', range: ['2024-01-01', '2024-02-01'] },
      ],
    });
    assert.equal(shape.primaryKey, 'id');
    assert.deepEqual(shape.attributes[0]!.size, { min: 8, max: 32 });
    assert.deepEqual(shape.attributes[1]!.size, { min: 1024, max: 2048 });
    assert.deepEqual(shape.attributes[2]!.size, { min: 3, max: 4 });
    assert.deepEqual(shape.attributes[3]!.items, { type: 'int', range: { min: 0, max: 1_000_000 } });
    assert.equal(shape.attributes[4]!.range!.min, Date.UTC(2024, 0, 1));
    assert.deepEqual(indexedAttributes(shape), ['b']);
  });

  it('names the place of each mistake', () => {
    const ok = { name: 'x', type: 'int' };
    refuse(
      {
        attributes: [
          ok,
          { name: 'y', type: 'int' },
          { name: 'z', type: 'int' },
          { name: 'w', type: 'string', size: 'abc' },
        ],
      },
      'attributes[3].size: "abc" is not a size',
    );
    refuse(
      { attributes: [{ name: 'w', type: 'strin' }] },
      /^attributes\[0\]\.type: "strin" is not one of string, int/,
    );
    refuse({ attributes: [ok, ok] }, 'attributes[1].name: "x" is listed twice');
    refuse(
      { attributes: [{ name: 'x', type: 'int', size: 3 }] },
      'attributes[0].size: only string and array take a size',
    );
    refuse(
      { attributes: [{ name: 'x', type: 'int', range: [5, 1] }] },
      'attributes[0].range: min 5 is above max 1',
    );
    refuse(
      { attributes: [{ name: 'x', type: 'float', nullRate: 2 }] },
      'attributes[0].nullRate: 2 is not a number from 0 to 1',
    );
    refuse(
      { attributes: [{ name: 'x', type: 'object' }] },
      'attributes[0].attributes: an object needs attributes',
    );
    refuse(
      {
        attributes: [{ name: 'o', type: 'object', attributes: [{ name: 'y', type: 'int', indexed: true }] }],
      },
      'attributes[0].attributes[0].indexed: only top-level attributes are indexed',
    );
    refuse(
      { attributes: [{ name: 'a', type: 'array', items: { type: 'int', range: 'x' } }] },
      'attributes[0].items.range: "x" is not a range ([min, max] or {min, max})',
    );
    refuse({ attributes: [{ name: 'x', type: 'int', color: 1 }] }, 'attributes[0].color: unknown field');
    refuse(
      { attributes: [{ name: 'id', type: 'int' }] },
      'attributes[0].name: "id" is the primary key (ids are generated)',
    );
    refuse({ attributes: [] }, 'attributes: [] is not a non-empty list');
    refuse(
      { attributes: [{ name: 'x', type: 'string', values: ['a', 1] }] },
      'attributes[0].values[1]: 1 is not a string',
    );
    refuse('hello', 'the template is "hello", not an object with attributes');
  });
});
