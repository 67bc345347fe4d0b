/** The summary's record-shapes section. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shapeLines } from '../../../src/report/shape-lines.js';
import { capturedDogShape } from '../../helpers/shape-summary.js';

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

  it('a capture: its record count, and with --scale --mix how many captured ids were re-created and rewritten', () => {
    const capture = { ...capturedDogShape, capturedRecords: 20_001 };
    assert.ok(shapeLines([capture]).includes('    captured records: 20,001'));
    assert.ok(
      shapeLines([{ ...capture, rewrittenIds: 19_998 }]).includes(
        '    captured records: 20,001; 19,998 captured ids re-created first, then rewritten by the mix',
      ),
    );
  });
});
