/**
 * Golden bytes of ShapedRecordEncoder: the sha256 of every record written for several shapes, seeds, ids and
 * generations (and of expected()). Recorded from the first, per-value-closure encoder, then re-recorded once when
 * values came to be drawn from one record hash finalized per value, pool offsets and floats by multiply-shift
 * (issue 15's encode-speed goal; same distributions). Any other optimisation must keep each hash: a changed byte
 * means a capture or a verification no longer matches older runs.
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
    '68a3b86432968d347bb618daf25e9e52e900b62c9e16dcd905a308e696071908',
    '0c354cdea0bf07f854b23ae72c8aa36e1a2639908926281f7d73630531be7427',
    1003,
  ],
  [
    'products',
    2147483647,
    1000,
    '350f9dae274be124cd15c9f0a2bca1535037a2598de6e3da6f2fe7c0c1c1febf',
    'a0ea776b125934c7ef0c3f98e1a4d2ebe658c96f9387a41a6010c6d837beae58',
    1003,
  ],
  [
    'like20',
    1,
    3000,
    '567288800cf6c950bbdd4f0be0d6ab4bbae6a4ed1592cdcdd112c1af7cac7c33',
    'a3e66c200e3d3abc2f606e1f3387b1a4841bb11a3bf2431e5b2e2ac241a5e171',
    404,
  ],
  [
    'like20',
    42,
    2000,
    '91d6be30612f0f61e7fbcaff9275f9baad95047777fe85791a0752f3019c5a95',
    '76f8d14b89f4983fd16338085f54d3c17d1f0bd75860c5abaabe9ec2f163f191',
    404,
  ],
  [
    'edges',
    0,
    400,
    '124de863dac998a194f8db17a29f1d62d9de816ac21b337a3b3b2f7af51e5129',
    '6bfc3204136b78e57719593088263bf89c1bc1c2f370b098c0014a8e3812d8fe',
    71070,
  ],
  [
    'edges',
    99,
    400,
    '7e3ebcfa1dc3973fc95a94664585e940692d60eeaadcb358b93ad8aea9d537b1',
    'b6a6bcf2200cf23963e7e523ad0712241fcfc07b9f5b05510a96b0a697cc6085',
    71070,
  ],
  [
    'edges',
    3735928559,
    400,
    '08d385152576ca23d685153c742c8ae0472b6efc4504b8959dc3559622fdb8c9',
    '9e8046df38349212c1395e2a220197a057c5ee1021a7477937bbea2daeedc0bf',
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
