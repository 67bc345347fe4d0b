/**
 * Golden bytes of ShapedRecordEncoder: the sha256 of every record written for several shapes, seeds, ids and
 * generations (and of expected()) was recorded from the first, per-value-closure encoder. Any optimisation of the
 * encoder must keep each hash: a changed byte means a capture or a verification no longer matches older runs.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { TableDecoders } from '../../../src/protocol/table-decoder.js';
import { parseRecordShape, type RecordShape } from '../../../src/workload/record-shape.js';
import { parseTemplate } from '../../../src/workload/shape-template.js';
import { ShapedRecordEncoder } from '../../../src/workload/shaped-encoder.js';

const SHAPES: Record<string, RecordShape> = {
  products: parseTemplate(readFileSync('templates/products.yaml', 'utf8')),
  // The bench's 20-attribute shape (bench/shape-encode.ts), repeated here so the bench may change freely.
  like20: parseRecordShape({
    attributes: [
      { name: 'sku', type: 'string', size: 12, indexed: true },
      { name: 'title', type: 'string', size: '20-60' },
      { name: 'category', type: 'string', distinct: 40, size: '6-14', indexed: true },
      { name: 'brand', type: 'string', values: ['acme', 'globex', 'initech', 'umbrella', 'hooli'] },
      { name: 'description', type: 'string', size: '40-120', nullRate: 0.1 },
      { name: 'price', type: 'float', range: [0.5, 2500] },
      { name: 'stock', type: 'int', range: [0, 10000] },
      { name: 'active', type: 'boolean' },
      { name: 'createdAt', type: 'date' },
      {
        name: 'dimensions',
        type: 'object',
        attributes: [
          { name: 'width', type: 'float', range: [1, 100] },
          { name: 'unit', type: 'string', values: ['cm', 'in'] },
        ],
      },
      { name: 'tags', type: 'array', size: '0-5', items: { type: 'string', size: '3-10' } },
      { name: 'supplier', type: 'string', distinct: 500, size: '8-20' },
    ],
  }),
  // Edge cases: every string header size, negative and wide ints, nulls at every level, nested arrays and objects,
  // numbers and booleans from lists, a string that never changes, empty strings and arrays.
  edges: parseRecordShape({
    primaryKey: 'key',
    attributes: [
      { name: 'fixedEmpty', type: 'string', size: 0 },
      { name: 'tiny', type: 'string', size: '0-31', nullRate: 0.3 },
      { name: 'mid', type: 'string', size: '32-300' },
      { name: 'long', type: 'string', size: '60000-70000', nullRate: 0.7 },
      { name: 'neg', type: 'int', range: [-70000, 70000] },
      { name: 'wide', type: 'int', range: [-5000000000, 5000000000] },
      { name: 'small', type: 'int', range: [-40, 130] },
      { name: 'one', type: 'int', range: [7, 7] },
      { name: 'ratio', type: 'float', range: [-1, 1], nullRate: 0.5 },
      { name: 'picks', type: 'int', values: [1, -3, 300, 70000] },
      { name: 'fpicks', type: 'float', values: [2.5, -1, 1e300] },
      { name: 'flags', type: 'boolean', values: [true] },
      { name: 'codes', type: 'string', values: ['é', 'x'.repeat(40), ''] },
      { name: 'when', type: 'date', range: [0, 4294967295000], nullRate: 0.2 },
      {
        name: 'outer',
        type: 'object',
        nullRate: 0.25,
        attributes: [
          { name: 'n', type: 'int', nullRate: 0.5 },
          {
            name: 'inner',
            type: 'object',
            attributes: [{ name: 's', type: 'string', size: '1-3', distinct: 3 }],
          },
          { name: 'list', type: 'array', size: '0-20', items: { type: 'float', nullRate: 0.3 } },
        ],
      },
      {
        name: 'grid',
        type: 'array',
        size: '0-3',
        nullRate: 0.1,
        items: {
          type: 'array',
          size: '1-17',
          items: { type: 'object', attributes: [{ name: 'd', type: 'date' }] },
        },
      },
      { name: 'none', type: 'array', size: 0, items: { type: 'int' } },
    ],
  }),
};

/** sha256 of the records ids 1…count, generations 0…2, written back to back; and of their expected() values. */
function hashes(
  shape: RecordShape,
  seed: number,
  count: number,
): { bytes: string; expected: string; bound: number } {
  const encoder = new ShapedRecordEncoder(shape, { tableName: 't', seed });
  const buffer = Buffer.alloc(encoder.valueBound + 8);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const bytes = createHash('sha256');
  const expected = createHash('sha256');
  const decoders = new TableDecoders();
  decoders.define(1, 't', encoder.tableStructure());
  for (let generation = 0; generation <= 2; generation++) {
    for (let id = 1; id <= count; id++) {
      // A non-zero start: offsets inside the buffer must not matter.
      const end = encoder.write(buffer, 3, view, id, generation);
      assert.ok(end - 3 <= encoder.valueBound);
      bytes.update(buffer.subarray(3, end));
      if (id % 7 === 0) {
        const value = encoder.expected(id, generation);
        expected.update(JSON.stringify(value));
        // The bytes decode, with the receiver's decoder, to expected(): both hashes describe the same records.
        assert.deepEqual(decoders.decode(1, buffer.subarray(3, end)), value);
      }
    }
  }
  expected.update(JSON.stringify(encoder.tableStructure()));
  expected.update(String(encoder.changedOnUpdate));
  return { bytes: bytes.digest('hex'), expected: expected.digest('hex'), bound: encoder.valueBound };
}

const GOLDEN: Array<
  [shape: string, seed: number, count: number, bytes: string, expected: string, bound: number]
> = [
  [
    'products',
    1,
    3000,
    '3098bc858ac51f772077b4c3db6843b4e78a6cfc6924cf04022106eceaa71e56',
    '9d7677310fec5bef2e76526aad8ae66b01479000eedd1907b6c270202e2006b7',
    1003,
  ],
  [
    'products',
    2147483647,
    1000,
    '852ec13fd9c8171b1f8c72358fefdc5b93e526e27bf90a9d1d34187af1f6d3a0',
    '56e2b184c47d8dd5e9ac954b50ebe9844902b494ad9205b54ca053d6635af1f5',
    1003,
  ],
  [
    'like20',
    1,
    3000,
    '96521b6b3665e79a4e830268f288bedca3c3cb73d9219db929a39d604ebe16bc',
    '4c8224e423740e6e52b88bc1ed4039a29a47ffcfd1883b731d2dcc67afd5ed02',
    404,
  ],
  [
    'like20',
    42,
    2000,
    '46393de0115ee8e1778a32a4c51e6273e5867629e65cc909092c41fcd3188c2d',
    'e3a22720bbbe9c85b78d5e390af8719da9d5658427c5d29a167b9d0588528a2d',
    404,
  ],
  [
    'edges',
    0,
    400,
    '8e1016fdefede3e54e2a03ac82e04f2b149d755c50347950c54cc21b9b8031b6',
    'd8f549bd00be782c1e33bd64bd78726e7d10efbf6ded90871843cb2587a3f0e1',
    71070,
  ],
  [
    'edges',
    99,
    400,
    '518ef7a3a6ddd0c932e3a37240b085faa7f5a899ad226429c6ad366e7d46d8c1',
    'bb019c2fd8db57952143cd7232192f22879cf2882ecc9b2c2072dff568d05654',
    71070,
  ],
  [
    'edges',
    3735928559,
    400,
    '3d137a2bc47dd631a8e6a395d02b6b3d38378ed47593c7340a87a52dfda2f8de',
    '93507017063db5e84ce23b1302b96d96f96d5b3d339194924b0ffaf7ab3a4403',
    71070,
  ],
];

describe('ShapedRecordEncoder golden output', () => {
  for (const [shape, seed, count, bytes, expected, bound] of GOLDEN) {
    it(`${shape} seed ${seed}: the same bytes and values as the first encoder`, () => {
      const got = hashes(SHAPES[shape]!, seed, count);
      assert.equal(got.bytes, bytes);
      assert.equal(got.expected, expected);
      assert.equal(got.bound, bound);
    });
  }

  it('the generated writer holds no text of the shape: values that look like code are written as bytes', () => {
    const hostile = ["'); throw 1; ('", '`$' + '{process.exit(3)}`', '*/ }} return 0; {{', 'é\u2028\n'];
    const shape = parseRecordShape({
      attributes: [
        { name: 'evil$_-', type: 'string', values: hostile },
        { name: 'n', type: 'int', range: [1, 9] },
      ],
    });
    const encoder = new ShapedRecordEncoder(shape, { tableName: 't', seed: 4 });
    const source = encoder.write.toString();
    for (const text of [...hostile, 'evil']) assert.ok(!source.includes(text), text);
    const seen = new Set<string>();
    const buffer = Buffer.alloc(encoder.valueBound);
    const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    for (let id = 1; id <= 200; id++) {
      const end = encoder.write(buffer, 0, view, id, 0);
      const value = encoder.expected(id, 0)['evil$_-'] as string;
      seen.add(value);
      // The string's bytes sit right after the record marker, the id and a 1-byte header.
      assert.ok(buffer.subarray(0, end).includes(Buffer.from(value, 'utf8')), value);
    }
    assert.equal(seen.size, hostile.length);
  });

  it('the hashes see a change: another seed gives other bytes', () => {
    assert.notEqual(hashes(SHAPES.edges!, 2, 50).bytes, hashes(SHAPES.edges!, 3, 50).bytes);
  });
});

// Prints the table above when run with GOLDEN_PRINT=1 (how it was recorded).
if (process.env.GOLDEN_PRINT) {
  for (const [shape, seed, count] of [
    ['products', 1, 3000],
    ['products', 0x7fffffff, 1000],
    ['like20', 1, 3000],
    ['like20', 42, 2000],
    ['edges', 0, 400],
    ['edges', 99, 400],
    ['edges', 0xdeadbeef, 400],
  ] as const) {
    const h = hashes(SHAPES[shape]!, seed, count);
    console.log(JSON.stringify([shape, seed, count, h.bytes, h.expected, h.bound]));
  }
}
