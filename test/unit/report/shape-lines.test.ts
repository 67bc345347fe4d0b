/** The summary's record-shapes section. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shapeLines } from '../../../src/report/shape-lines.js';

describe('shapeLines', () => {
  it('says per table where the shape came from, its attributes, indexes, sizes and fate', () => {
    assert.deepEqual(shapeLines(undefined), []);
    const lines = shapeLines([
      {
        from: 'data.products',
        kind: 'table',
        table: 'products_hr_1_abcd',
        scratch: true,
        dropped: true,
        primaryKey: 'id',
        attributes: [
          { name: 'brand', type: 'string' },
          { name: 'note', type: 'string', nullRate: 0.25 },
        ],
        indexed: ['brand'],
        meanRecordBytes: 40,
        maxRecordBytes: 61,
        skipped: ['photo'],
      },
    ]);
    assert.deepEqual(lines, [
      '',
      'record shapes',
      '  products_hr_1_abcd (scratch, dropped) like table data.products',
      '    key id; 2 attributes: brand:string, note:string (25% null)',
      '    indexed: brand; record 40 B mean, 61 B max',
      '    not synthesized (binary or blobs): photo',
    ]);
  });
});
