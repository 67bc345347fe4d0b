/** Captured values written with the shape's structures: the receiver's decoder reads back the captured record. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TableDecoders } from '../../../src/protocol/table-decoder.js';
import { CapturedValuesEncoder, normalizeRecord } from '../../../src/workload/captured-values-encoder.js';
import type { RecordShape } from '../../../src/workload/record-shape.js';
import { ShapedRecordEncoder } from '../../../src/workload/shaped-encoder.js';

const shape: RecordShape = {
  primaryKey: 'id',
  attributes: [
    { name: 'name', type: 'string', size: { min: 3, max: 8 } },
    { name: 'age', type: 'int', range: { min: 0, max: 20 } },
    {
      name: 'dims',
      type: 'object',
      attributes: [
        { name: 'w', type: 'int' },
        { name: 'h', type: 'int' },
      ],
    },
    {
      name: 'tags',
      type: 'array',
      items: { type: 'string', size: { min: 1, max: 3 } },
      size: { min: 0, max: 3 },
    },
  ],
};

function decoderFor(encoder: ShapedRecordEncoder): TableDecoders {
  const decoders = new TableDecoders();
  decoders.define(1, 't', encoder.tableStructure());
  return decoders;
}

function written(encoder: CapturedValuesEncoder, id: number, generation: number): Buffer {
  const buffer = Buffer.alloc(encoder.valueBound + 16);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  return buffer.subarray(0, encoder.write(buffer, 0, view, id, generation));
}

describe('CapturedValuesEncoder', () => {
  const inner = new ShapedRecordEncoder(shape, { tableName: 't', seed: 7 });
  const values = new Map<number, Record<string, unknown>>([
    [5, { id: 5, age: 4, name: 'Rex', dims: { h: 2, w: 1 }, tags: ['a', 'bb'] }],
    // Missing attributes, an extra one (skipped by the shape), a nested object missing a key.
    [9, { name: 'Tom', extra: 'dropped', dims: { w: 3 } }],
  ]);
  const encoder = new CapturedValuesEncoder(inner, values);
  const decoders = decoderFor(inner);

  it('generation 0 of a captured id decodes to the captured record, laid out as the shape says', () => {
    assert.equal(encoder.captured, 2);
    assert.equal(encoder.substituted, 0);
    assert.deepEqual(decoders.decode(1, written(encoder, 5, 0)), {
      id: 5,
      name: 'Rex',
      age: 4,
      dims: { w: 1, h: 2 },
      tags: ['a', 'bb'],
    });
    const sparse = { id: 9, name: 'Tom', age: null, dims: { w: 3, h: null }, tags: null };
    assert.deepEqual(decoders.decode(1, written(encoder, 9, 0)), sparse);
    assert.deepEqual(encoder.expected(9, 0), sparse);
    assert.deepEqual(normalizeRecord(values.get(9)!, shape, 9), sparse);
  });

  it("later generations and other ids are the shape's synthesized values", () => {
    for (const [id, generation] of [
      [5, 1],
      [9, 3],
      [6, 0],
    ] as const) {
      assert.deepEqual(encoder.expected(id, generation), inner.expected(id, generation));
      assert.deepEqual(
        JSON.parse(JSON.stringify(decoders.decode(1, written(encoder, id, generation)))),
        JSON.parse(JSON.stringify(inner.expected(id, generation))),
      );
    }
  });

  it('a value that needs a structure the receiver was never sent is synthesized instead, and counted', () => {
    // dims as an array of objects: an object shape with no shared structure.
    const odd = new Map<number, Record<string, unknown>>([
      [1, { name: 'ok', age: 1, dims: { w: 1, h: 1 }, tags: [] }],
      [2, { name: 'odd', age: 2, dims: { w: 1, h: 1 }, tags: [{ x: 1 }] }],
      [3, { name: 'ok too', age: 3, dims: { w: 2, h: 2 }, tags: ['c'] }],
    ]);
    const mixed = new CapturedValuesEncoder(inner, odd);
    assert.equal(mixed.substituted, 1);
    assert.equal(mixed.captured, 2);
    assert.deepEqual(mixed.expected(2, 0), inner.expected(2, 0));
    for (const id of [1, 3]) {
      assert.deepEqual(decoders.decode(1, written(mixed, id, 0)), mixed.expected(id, 0), `id ${id}`);
    }
  });
});
