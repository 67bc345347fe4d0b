/** Shaped records decode, with the receiver's own decoder, to exactly what expected() says; updates change them. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { TableDecoders } from '../../../src/protocol/table-decoder.js';
import { parseRecordShape } from '../../../src/workload/record-shape.js';
import { parseTemplate } from '../../../src/workload/shape-template.js';
import { ShapedRecordEncoder } from '../../../src/workload/shaped-encoder.js';

interface Product {
  sku: string;
  brand: string;
  price: number;
  stock: number;
  updatedAt: Date;
  category: string;
  tags: string[];
}

const TEMPLATE = parseTemplate(readFileSync('templates/products.yaml', 'utf8'));

function decodeOne(encoder: ShapedRecordEncoder, id: number, generation: number): unknown {
  const buffer = Buffer.alloc(encoder.valueBound);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const end = encoder.write(buffer, 0, view, id, generation);
  assert.ok(end <= encoder.valueBound, `record ${id} took ${end} B, bound ${encoder.valueBound}`);
  const decoders = new TableDecoders();
  decoders.define(1, encoder.tableName, encoder.tableStructure());
  return decoders.decode(1, buffer.subarray(0, end));
}

describe('ShapedRecordEncoder', () => {
  it('every record of the shipped template decodes to expected() (dates, nested objects, arrays, nulls)', () => {
    const encoder = new ShapedRecordEncoder(TEMPLATE, { tableName: 'products', seed: 7 });
    let nulls = 0;
    let tags = 0;
    for (let id = 1; id <= 300; id++) {
      const decoded = decodeOne(encoder, id, 0) as Record<string, unknown>;
      assert.deepEqual(decoded, encoder.expected(id, 0));
      assert.equal(decoded.id, id);
      assert.ok(decoded.updatedAt instanceof Date);
      assert.equal(typeof (decoded.dimensions as { width: unknown }).width, 'number');
      if (decoded.description === null) nulls++;
      tags += (decoded.tags as unknown[]).length;
    }
    // nullRate 0.1 over 300 records, 0–5 tags each
    assert.ok(nulls > 10 && nulls < 60, `${nulls} null descriptions`);
    assert.ok(tags > 300 && tags < 1200, `${tags} tags`);
  });

  it('values stay inside their sizes, ranges and lists', () => {
    const encoder = new ShapedRecordEncoder(TEMPLATE, { tableName: 'products', seed: 3 });
    const categories = new Set<string>();
    for (let id = 1; id <= 500; id++) {
      const r = encoder.expected(id, 0) as unknown as Product;
      assert.equal((r.sku as string).length, 12);
      assert.ok(['acme', 'globex', 'initech', 'umbrella'].includes(r.brand));
      assert.ok(r.price >= 0.5 && r.price <= 2500);
      assert.ok(Number.isInteger(r.stock) && r.stock >= 0 && r.stock <= 10000);
      assert.ok((r.updatedAt as Date).getTime() >= Date.parse('2024-01-01'));
      categories.add(r.category);
      const tagList = r.tags as string[];
      assert.ok(tagList.length <= 5 && tagList.every((t) => t.length >= 3 && t.length <= 10));
    }
    assert.equal(categories.size, 20);
  });

  it('is deterministic from (seed, id, generation), and another seed gives other records', () => {
    const a = new ShapedRecordEncoder(TEMPLATE, { tableName: 't', seed: 5 });
    const b = new ShapedRecordEncoder(TEMPLATE, { tableName: 't', seed: 5 });
    const c = new ShapedRecordEncoder(TEMPLATE, { tableName: 't', seed: 6 });
    assert.deepEqual(a.expected(42, 2), b.expected(42, 2));
    assert.notDeepEqual(a.expected(42, 0), c.expected(42, 0));
  });

  it('every generation changes the first attribute that can change, even a boolean-only or a list shape', () => {
    const shapes = [
      TEMPLATE,
      parseRecordShape({ attributes: [{ name: 'flag', type: 'boolean', nullRate: 0.9 }] }),
      parseRecordShape({ attributes: [{ name: 'k', type: 'string', values: ['a', 'b'] }] }),
      parseRecordShape({ attributes: [{ name: 'n', type: 'int', range: [5, 6] }] }),
      parseRecordShape({ attributes: [{ name: 's', type: 'string', size: 4, distinct: 2 }] }),
      parseRecordShape({ attributes: [{ name: 'x', type: 'float', range: [-1, 1] }] }),
      // A pool this wide takes the offset's floating-point spelling.
      parseRecordShape({ attributes: [{ name: 'big', type: 'string', size: 70000 }] }),
    ];
    for (const shape of shapes) {
      const encoder = new ShapedRecordEncoder(shape, { tableName: 't', seed: 9 });
      const name = encoder.changedOnUpdate!;
      assert.equal(name, shape.attributes[0]!.name);
      for (let id = 1; id <= 200; id++) {
        for (let g = 1; g <= 3; g++) {
          assert.notDeepEqual(
            encoder.expected(id, g)[name],
            encoder.expected(id, g - 1)[name],
            `${name} ${id} ${g}`,
          );
          assert.deepEqual(decodeOne(encoder, id, g), encoder.expected(id, g));
        }
      }
    }
  });

  it('draws lengths, list picks and floats evenly, and strings without `distinct` nearly all different', () => {
    const shape = parseRecordShape({
      attributes: [
        { name: 'code', type: 'string', size: 12 },
        { name: 'title', type: 'string', size: '20-29' },
        { name: 'colour', type: 'string', values: ['red', 'green', 'blue', 'black'] },
        { name: 'ratio', type: 'float', range: [2, 4] },
        { name: 'tags', type: 'array', size: '0-4', items: { type: 'string', size: '1-5' } },
        { name: 'supplier', type: 'string', distinct: 7, size: '3-9' },
      ],
    });
    const encoder = new ShapedRecordEncoder(shape, { tableName: 't', seed: 11 });
    const count = 20000;
    const tally = (key: string, value: unknown, tallies: Map<string, number>) =>
      tallies.set(`${key}=${value}`, (tallies.get(`${key}=${value}`) ?? 0) + 1);
    const tallies = new Map<string, number>();
    const codes = new Set<string>();
    const suppliers = new Set<string>();
    let ratioSum = 0;
    for (let id = 1; id <= count; id++) {
      const r = encoder.expected(id, 0) as { code: string; title: string; colour: string; ratio: number };
      const tags = (r as unknown as { tags: string[] }).tags;
      codes.add(r.code);
      suppliers.add((r as unknown as { supplier: string }).supplier);
      tally('title', r.title.length, tallies);
      tally('colour', r.colour, tallies);
      tally('tags', tags.length, tallies);
      for (const tag of tags) tally('tag', tag.length, tallies);
      tally('ratio', Math.floor((r.ratio - 2) * 2), tallies);
      ratioSum += r.ratio;
    }
    // Each bucket within 15 % of its even share: 10 title lengths, 4 colours, 5 tag counts, 5 tag lengths, 4 ratio quarters.
    const buckets: Array<[string, number, number]> = [
      ['title', 10, count],
      ['colour', 4, count],
      ['tags', 5, count],
      ['tag', 5, count * 2],
      ['ratio', 4, count],
    ];
    for (const [key, n, total] of buckets) {
      const seen = [...tallies].filter(([k]) => k.startsWith(`${key}=`));
      assert.equal(seen.length, n, key);
      for (const [k, got] of seen) assert.ok(Math.abs(got - total / n) < 0.15 * (total / n), `${k}: ${got}`);
    }
    assert.ok(Math.abs(ratioSum / count - 3) < 0.02, `mean ratio ${ratioSum / count}`);
    // As many different codes as uniform offsets into the 64 KiB text pool give (the birthday bound).
    const offsets = 65536 - 12 + 1;
    const uniform = offsets * (1 - Math.exp(-count / offsets));
    assert.ok(codes.size > 0.97 * uniform, `${codes.size} different codes of ${count}, ${uniform} expected`);
    assert.equal(suppliers.size, 7);
  });

  it('declares the primary key and only the indexed attributes; nested shapes get their own structure slots', () => {
    const encoder = new ShapedRecordEncoder(TEMPLATE, { tableName: 'products', seed: 1 });
    const structure = encoder.tableStructure();
    assert.deepEqual(structure.attributes, [
      { name: 'id', isPrimaryKey: true },
      { name: 'category', indexed: true },
      { name: 'brand', indexed: true },
    ]);
    assert.deepEqual(structure.structures[1], ['width', 'height', 'unit']);
    assert.equal((structure.structures[0] as string[]).length, 11);
  });

  it('sampleSizes measures the written records, within the bound', () => {
    const encoder = new ShapedRecordEncoder(TEMPLATE, { tableName: 'products', seed: 1 });
    const { mean, max } = encoder.sampleSizes(200);
    assert.ok(mean > 200 && mean < max, `mean ${mean} max ${max}`);
    assert.ok(max <= encoder.valueBound);
  });
});
