import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Packr } from 'msgpackr';
import { BlobReference, encodeBlobReferencePayload } from '../../../src/protocol/blob.js';
import { BLOB_EXTENSION_TYPE } from '../../../src/protocol/codes.js';
import { decodeControlFrame, type TableStructure } from '../../../src/protocol/control-frame.js';
import { writeExtension } from '../../../src/protocol/record-writer.js';
import { TableDecoders } from '../../../src/protocol/table-decoder.js';
import { goldenBytes } from '../support.js';

function goldenStructure(name: string): { tableId: number; tableName: string; structure: TableStructure } {
  const frame = decodeControlFrame(goldenBytes(name));
  if (frame.type !== 'TABLE_FIXED_STRUCTURE') throw new Error(`${name} is ${frame.type}`);
  return frame;
}

describe('TableDecoders', () => {
  it('decodes golden typed-struct values with the node structure (plain objects)', () => {
    const { tableId, tableName, structure } = goldenStructure('a.table_fixed_structure');
    const decoders = new TableDecoders();
    decoders.define(tableId, tableName, structure);
    const value = decoders.decode(1, Buffer.from('20010331526578', 'hex'));
    assert.deepEqual(value, { id: '1', name: 'Rex', age: 3 });
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.equal(JSON.stringify(value), '{"id":"1","name":"Rex","age":3}');
  });

  it('knows its tables and replaces a decoder on redefinition', () => {
    const decoders = new TableDecoders();
    const node = goldenStructure('a.table_fixed_structure');
    decoders.define(1, 'dog', node.structure);
    assert.equal(decoders.table(1)?.tableName, 'dog');
    assert.equal(decoders.table(2), undefined);
    const tool = goldenStructure('b.tool_table_fixed_structure');
    decoders.define(1, 'dog2', tool.structure);
    assert.equal(decoders.known.length, 1);
    assert.equal(decoders.known[0]!.tableName, 'dog2');
    // Slot 0x40 now refers to the tool's record structure.
    assert.deepEqual(decoders.decode(1, Buffer.from('40a133a5427564647902', 'hex')), {
      id: '3',
      name: 'Buddy',
      age: 2,
    });
  });

  it('throws for a table id without structure', () => {
    assert.throws(() => new TableDecoders().decode(5, Buffer.from([0xc0])), /no TABLE_FIXED_STRUCTURE.*5/);
  });

  it('decodes msgpackr records written with shared structures', () => {
    // msgpackr adds the nested object's structure to S while packing: S is sent after encoding (PROTOCOL §3.5).
    const structures: string[][] = [['id', 'tags', 'nested']];
    const packr = new Packr({ structures });
    const record = { id: 9, tags: ['a', 'b'], nested: { x: 1 } };
    const bytes = Buffer.from(packr.pack(record));
    assert.equal(structures.length, 2);
    const decoders = new TableDecoders();
    decoders.define(4, 't', { typedStructs: [], structures, attributes: [], schemaDefined: false });
    assert.deepEqual(decoders.decode(4, bytes), record);
  });

  it('keeps a blob reference as a BlobReference (class, fileId, size)', () => {
    const decoders = new TableDecoders();
    decoders.define(2, 't', {
      typedStructs: [],
      structures: [['id', 'blob']],
      attributes: [],
      schemaDefined: false,
    });
    const target = Buffer.alloc(64);
    const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
    target[0] = 0x40;
    target[1] = 0x07;
    const end = writeExtension(
      target,
      2,
      BLOB_EXTENSION_TYPE,
      encodeBlobReferencePayload('f00d', 4096),
      view,
    );
    const value = decoders.decode(2, target.subarray(0, end)) as { id: number; blob: unknown };
    assert.equal(value.id, 7);
    assert.ok(
      value.blob instanceof BlobReference,
      `blob decoded as ${(value.blob as object)?.constructor?.name}: ${JSON.stringify(value.blob)}`,
    );
    assert.equal(value.blob.fileId, 'f00d');
    assert.equal(value.blob.size, 4096);
  });
});
