import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AuditEntryHeader, putFields } from '../../../src/protocol/audit-entry.js';
import { decodeControlFrame } from '../../../src/protocol/control-frame.js';
import { TableDecoders } from '../../../src/protocol/table-decoder.js';
import { decodeTxnFrame, summarizeTxnFrame, TxnFrameWriter } from '../../../src/protocol/txn-frame.js';
import { CodecError } from '../../../src/protocol/varint.js';
import { expectCodecError, golden, goldenBytes, randomInt, seeded, tailOf } from '../support.js';

const TXN_FRAMES = ['a.txn_insert_2', 'a.txn_upsert_1', 'a.txn_delete_1', 'b.tool_txn_put'];

function decodersFor(structureFrame: string): TableDecoders {
  const frame = decodeControlFrame(goldenBytes(structureFrame));
  assert.equal(frame.type, 'TABLE_FIXED_STRUCTURE');
  const decoders = new TableDecoders();
  if (frame.type === 'TABLE_FIXED_STRUCTURE')
    decoders.define(frame.tableId, frame.tableName, frame.structure);
  return decoders;
}

describe('txn frames: golden 4.7.29 frames decode', () => {
  it('a.txn_insert_2: two inserts by admin, typed-struct values', () => {
    const bytes = goldenBytes('a.txn_insert_2');
    const frame = decodeTxnFrame(bytes);
    assert.equal(frame.txnTime, 1795327100000.2456);
    assert.equal(frame.sequenceId, tailOf(bytes));
    assert.equal(frame.sequenceId, 1795327100004.319);
    assert.equal(frame.entries.length, 2);
    const decoders = decodersFor('a.table_fixed_structure');
    const expected = [
      { id: '1', name: 'Rex', age: 3 },
      { id: '2', name: 'Fido', age: 5 },
    ];
    frame.entries.forEach((entry, i) => {
      assert.equal(entry.type, 'put');
      assert.equal(entry.key, String(i + 1));
      assert.equal(entry.nodeId, 0);
      assert.equal(entry.tableId, 1);
      assert.equal(entry.version, 1795327100000.2456);
      assert.equal(entry.originatingOperation, 'insert');
      assert.equal(entry.user, 'admin');
      assert.equal(entry.hasRecord, true);
      assert.equal(entry.hasPartialRecord, false);
      assert.ok(entry.value);
      assert.deepEqual(decoders.decode(1, entry.value), expected[i]);
    });
    assert.equal(frame.entries[0]!.action, 0x911);
    assert.equal(frame.entries[0]!.extraFlags, 0x100, 'first entry carries HAS_STRUCTURE_UPDATE');
    assert.equal(frame.entries[1]!.action, 0x811);
    assert.equal(frame.entries[1]!.extraFlags, undefined);
    assert.equal(Buffer.from(frame.entries[0]!.value!).toString('hex'), '20010331526578');
  });

  it('a.txn_upsert_1: one upsert', () => {
    const bytes = goldenBytes('a.txn_upsert_1');
    const frame = decodeTxnFrame(bytes);
    assert.equal(frame.entries.length, 1);
    const entry = frame.entries[0]!;
    assert.equal(entry.type, 'put');
    assert.equal(entry.key, '1');
    assert.equal(entry.version, 1795327100319.9807);
    assert.equal(entry.originatingOperation, 'upsert');
    assert.equal(entry.user, 'admin');
    assert.equal(frame.sequenceId, tailOf(bytes));
    assert.deepEqual(decodersFor('a.table_fixed_structure').decode(1, entry.value!), {
      id: '1',
      name: 'Rex',
      age: 4,
    });
  });

  it('a.txn_delete_1: a 1-byte delete action whose trailing c0 is not a value', () => {
    const bytes = goldenBytes('a.txn_delete_1');
    const frame = decodeTxnFrame(bytes);
    assert.equal(frame.entries.length, 1);
    const entry = frame.entries[0]!;
    assert.equal(entry.type, 'delete');
    assert.equal(entry.action, 2);
    assert.equal(entry.key, '2');
    assert.equal(entry.version, 1795327100629.7317);
    assert.equal(entry.user, 'admin');
    assert.equal(entry.originatingOperation, undefined);
    assert.equal(entry.hasRecord, false);
    assert.equal(entry.value, undefined);
    assert.equal(frame.sequenceId, 1795327100630.703);
    assert.equal(frame.sequenceId, tailOf(bytes));
  });

  it('b.tool_txn_put: a record-ref value decoded with the tool table structure', () => {
    const bytes = goldenBytes('b.tool_txn_put');
    const frame = decodeTxnFrame(bytes);
    assert.equal(frame.txnTime, 1795327117408);
    assert.equal(frame.sequenceId, 1795327117408.5);
    assert.equal(frame.sequenceId, tailOf(bytes));
    assert.equal(frame.entries.length, 1);
    const entry = frame.entries[0]!;
    assert.equal(entry.type, 'put');
    assert.equal(entry.action, 0x11);
    assert.equal(entry.tableId, 9);
    assert.equal(entry.key, '3');
    assert.equal(entry.version, 1795327117408);
    assert.equal(entry.user, undefined);
    assert.equal(entry.originatingOperation, undefined);
    assert.deepEqual(decodersFor('b.tool_table_fixed_structure').decode(9, entry.value!), {
      id: '3',
      name: 'Buddy',
      age: 2,
    });
  });

  it('summarizeTxnFrame agrees with decodeTxnFrame', () => {
    for (const name of TXN_FRAMES) {
      const bytes = goldenBytes(name);
      const full = decodeTxnFrame(bytes);
      assert.deepEqual(
        summarizeTxnFrame(bytes),
        { txnTime: full.txnTime, entryCount: full.entries.length, sequenceId: full.sequenceId },
        name,
      );
    }
  });

  it('decodes a frame that is a view into a larger buffer', () => {
    const bytes = goldenBytes('a.txn_insert_2');
    const padded = Buffer.concat([Buffer.from([0xde, 0xad, 0xbe]), bytes, Buffer.from([0xff])]);
    const frame = decodeTxnFrame(padded.subarray(3, 3 + bytes.length));
    assert.deepEqual(frame, decodeTxnFrame(bytes));
  });
});

describe('txn frames: TxnFrameWriter', () => {
  it('reproduces b.tool_txn_put byte for byte', () => {
    const bytes = goldenBytes('b.tool_txn_put');
    const version = 1795327117408;
    const value = Buffer.from('40a133a5427564647902', 'hex');
    const frame = new TxnFrameWriter()
      .begin(version)
      .addEntry({ type: 'put', nodeId: 0, tableId: 9, key: '3', version }, value)
      .finish(1795327117408.5);
    assert.equal(frame.toString('hex'), golden('b.tool_txn_put').hex);
    assert.deepEqual(frame, bytes);
  });

  it('reproduces a.txn_insert_2 (4-byte action words, originating operation, user)', () => {
    const source = decodeTxnFrame(goldenBytes('a.txn_insert_2'));
    const writer = new TxnFrameWriter().begin(source.txnTime);
    for (const [i, entry] of source.entries.entries()) {
      const header: AuditEntryHeader = {
        type: 'put',
        nodeId: 0,
        tableId: 1,
        key: entry.key,
        version: entry.version,
        user: 'admin',
        originatingOperation: 1,
        extraFlags: i === 0 ? 0x100 : undefined,
      };
      writer.addEntry(header, entry.value);
    }
    assert.equal(writer.entryCount, 2);
    assert.equal(writer.finish(source.sequenceId).toString('hex'), golden('a.txn_insert_2').hex);
  });

  it('reproduces a.txn_delete_1 by writing the c0 after a value-less delete header', () => {
    const source = decodeTxnFrame(goldenBytes('a.txn_delete_1'));
    const writer = new TxnFrameWriter().begin(source.txnTime);
    const header: AuditEntryHeader = {
      type: 'delete',
      nodeId: 0,
      tableId: 1,
      key: '2',
      version: source.entries[0]!.version,
      user: 'admin',
    };
    const valueAt = writer.startEntry(header, 0);
    writer.target[valueAt] = 0xc0;
    writer.endEntry(valueAt + 1);
    assert.equal(writer.finish(source.sequenceId).toString('hex'), golden('a.txn_delete_1').hex);
  });

  it('addEntry of a delete with the trailing c0 writes the 1-byte delete action like Harper (no HAS_RECORD)', () => {
    // Harper's createAuditEntry takes HAS_RECORD from the entry type (put/message), never from a value being present.
    const source = decodeTxnFrame(goldenBytes('a.txn_delete_1'));
    const frame = new TxnFrameWriter()
      .begin(source.txnTime)
      .addEntry(
        {
          type: 'delete',
          nodeId: 0,
          tableId: 1,
          key: '2',
          version: source.entries[0]!.version,
          user: 'admin',
        },
        Buffer.from([0xc0]),
      )
      .finish(source.sequenceId);
    assert.equal(frame.toString('hex'), golden('a.txn_delete_1').hex);
  });

  it('keeps entry length prefixes minimal around the 1/2/4-byte boundaries', () => {
    const writer = new TxnFrameWriter();
    for (const valueLength of [
      0,
      1,
      100,
      110,
      111,
      112,
      200,
      0x3fff - 18,
      0x3fff - 17,
      0x3fff - 16,
      0x4000,
      70000,
    ]) {
      const value = Buffer.alloc(valueLength, 0xa0);
      const frame = writer
        .begin(1000, 1 << 17)
        .addEntry(
          { type: 'put', nodeId: 0, tableId: 1, key: 1, version: 1000 },
          valueLength ? value : undefined,
        )
        .finish(2000);
      const decoded = decodeTxnFrame(frame);
      assert.equal(decoded.entries.length, 1);
      const entry = decoded.entries[0]!;
      const entryLength = frame.length - 8 - 10;
      // The header here is 1+1+1+1+4+8+1 = 17 bytes (key 1 = 13ff0000), the prefix is minimal.
      const bodyLength = 17 + valueLength;
      const width = bodyLength < 0x80 ? 1 : bodyLength < 0x4000 ? 2 : 4;
      assert.equal(entryLength, width + bodyLength, `value ${valueLength}`);
      assert.equal(entry.value?.length ?? 0, valueLength, `value ${valueLength}`);
      assert.equal(decoded.sequenceId, 2000);
    }
  });

  it('startPut writes the bytes startEntry writes for the same put header', () => {
    const viaHeader = new TxnFrameWriter();
    const viaPut = new TxnFrameWriter();
    const random = seeded(19);
    for (const [nodeId, tableId] of [
      [0, 1],
      [5, 200],
      [0x4000, 0x3fffffff],
    ] as const) {
      for (const hasBlobs of [false, true]) {
        const version = 1_733_380_000_000 + randomInt(random, 0, 999) / 1000;
        const fields = putFields(nodeId, tableId, version, hasBlobs);
        viaHeader.begin(version);
        viaPut.begin(version);
        for (const key of [
          0,
          1,
          16,
          17,
          1000,
          2 ** 20,
          2 ** 20 + 3,
          2 ** 32 - 1,
          2 ** 40 + 0.5,
          1.25,
          0.1,
          -7,
        ]) {
          const value = Buffer.alloc(randomInt(random, 0, 0x4100), key & 0xff);
          const header = { type: 'put', nodeId, tableId, key, version, hasBlobs } as const;
          for (const [writer, start] of [
            [viaHeader, () => viaHeader.startEntry(header, value.length)],
            [viaPut, () => viaPut.startPut(fields, key, value.length)],
          ] as const) {
            const at = start();
            writer.target.set(value, at);
            writer.endEntry(at + value.length);
          }
        }
        const expected = viaHeader.finish(42);
        const actual = viaPut.finish(42);
        assert.equal(
          actual.toString('hex'),
          expected.toString('hex'),
          `node ${nodeId} table ${tableId} blobs ${hasBlobs}`,
        );
        assert.equal(decodeTxnFrame(actual).entries[1]!.hasBlobs ?? false, hasBlobs);
      }
    }
  });

  it('round-trips every optional header field', () => {
    const header: AuditEntryHeader = {
      type: 'patch',
      nodeId: 300,
      tableId: 0x4001,
      key: 'some-key',
      version: 1700000000000.125,
      user: 'üser',
      residencyId: 5,
      previousResidencyId: 70000,
      expiresAt: 1800000000000.5,
      originatingOperation: 2,
      hasBlobs: true,
    };
    const frame = new TxnFrameWriter()
      .begin(header.version)
      .addEntry(header, Buffer.from([0x40, 0x01]))
      .finish(9);
    const entry = decodeTxnFrame(frame).entries[0]!;
    assert.equal(entry.type, 'patch');
    assert.equal(entry.hasPartialRecord, true);
    assert.equal(entry.hasRecord, false);
    assert.equal(entry.nodeId, 300);
    assert.equal(entry.tableId, 0x4001);
    assert.equal(entry.key, 'some-key');
    assert.equal(entry.version, header.version);
    assert.equal(entry.user, 'üser');
    assert.equal(entry.residencyId, 5);
    assert.equal(entry.previousResidencyId, 70000);
    assert.equal(entry.expiresAt, 1800000000000.5);
    assert.equal(entry.originatingOperation, 'update');
    assert.equal(entry.hasBlobs, true);
    assert.deepEqual(Buffer.from(entry.value!), Buffer.from([0x40, 0x01]));
  });

  it('grows past its size hint and keeps earlier frames intact', () => {
    const writer = new TxnFrameWriter();
    const first = writer
      .begin(1, 64)
      .addEntry({ type: 'put', nodeId: 0, tableId: 1, key: 1, version: 1 }, Buffer.from([0x01]))
      .finish(1);
    const firstCopy = Buffer.from(first);
    writer.begin(2, 64);
    for (let id = 0; id < 500; id++) {
      writer.addEntry(
        { type: 'put', nodeId: 0, tableId: 2, key: id, version: 2 },
        Buffer.alloc(id % 50, 0xa1),
      );
    }
    const second = writer.finish(2);
    assert.deepEqual(first, firstCopy, 'the first frame was not overwritten by the second');
    const decoded = decodeTxnFrame(second);
    assert.equal(decoded.entries.length, 500);
    assert.deepEqual(
      decoded.entries.map((e) => e.key),
      Array.from({ length: 500 }, (_, i) => i),
    );
    assert.ok(decoded.entries.every((e, i) => (e.value?.length ?? 0) === i % 50));
    assert.equal(decoded.sequenceId, 2);
  });

  it('accepts any size hint: the frame buffer works with ordered-binary whatever its length', () => {
    // ordered-binary's writeKey puts a DataView over the target rounded up to 4 bytes; a Buffer with its own
    // ArrayBuffer (≥ 4 KiB, so not from Node's pool) of a length that is not a multiple of 4 makes that throw.
    for (const sizeHint of [4096, 4097, 5001, 5002, 5003, 70001]) {
      const frame = new TxnFrameWriter()
        .begin(1, sizeHint)
        .addEntry({ type: 'put', nodeId: 0, tableId: 1, key: 1, version: 1 }, Buffer.from([0x01]))
        .finish(2);
      assert.equal(decodeTxnFrame(frame).entries.length, 1, `size hint ${sizeHint}`);
    }
  });

  it('grows to odd sizes without failing', () => {
    const writer = new TxnFrameWriter().begin(1, 64);
    // Values of 4093 bytes make the grown buffer (position + needed room) an odd size above 4 KiB.
    for (let id = 0; id < 5; id++) {
      writer.addEntry({ type: 'put', nodeId: 0, tableId: 1, key: id, version: 1 }, Buffer.alloc(4093, 0xa0));
    }
    assert.equal(decodeTxnFrame(writer.finish(3)).entries.length, 5);
  });

  it('a frame finished without a sequence id has no tail', () => {
    const frame = new TxnFrameWriter()
      .begin(5)
      .addEntry({ type: 'put', nodeId: 0, tableId: 1, key: 1, version: 5 }, Buffer.from([0x01]))
      .finish();
    const decoded = decodeTxnFrame(frame);
    assert.equal(decoded.sequenceId, undefined);
    assert.equal('sequenceId' in decoded, false);
    assert.equal(decoded.entries.length, 1);
  });

  it('endEntry without startEntry throws', () => {
    assert.throws(() => new TxnFrameWriter().begin(1).endEntry(20), /endEntry without startEntry/);
  });

  it('a long multi-byte user name fits even when the frame buffer is tight', () => {
    const user = '日本'.repeat(100); // 200 UTF-16 units, 600 UTF-8 bytes
    const frame = new TxnFrameWriter()
      .begin(1, 64)
      .addEntry({ type: 'put', nodeId: 0, tableId: 1, key: 1, version: 1, user }, Buffer.alloc(10, 0xa0))
      .finish(5);
    const entry = decodeTxnFrame(frame).entries[0]!;
    assert.equal(entry.user, user);
    assert.equal(entry.value?.length, 10);
  });

  it('a 1000-byte binary key fits even when the frame buffer is tight', () => {
    const key = Buffer.alloc(1000, 0x41);
    const frame = new TxnFrameWriter()
      .begin(1, 64)
      .addEntry({ type: 'put', nodeId: 0, tableId: 1, key, version: 1 }, Buffer.alloc(10, 0xa0))
      .finish(5);
    const entry = decodeTxnFrame(frame).entries[0]!;
    assert.equal(entry.value?.length, 10);
    assert.equal(entry.version, 1);
  });
});

describe('txn frames: TxnFrameWriter.recycle', () => {
  const version = 1795327117408;
  /** A frame of `count` puts with 1,000-byte values filled with `fill`. */
  function bigFrame(writer: TxnFrameWriter, count: number, fill: number): Buffer {
    writer.begin(version, count * 1100);
    for (let i = 0; i < count; i++)
      writer.addEntry({ type: 'put', nodeId: 0, tableId: 1, key: i, version }, Buffer.alloc(1000, fill));
    return writer.finish(version + 0.5);
  }

  it('a recycled large frame lends its memory to the next frame, which is written whole', () => {
    const writer = new TxnFrameWriter();
    const first = bigFrame(writer, 200, 1);
    const expected = Buffer.from(bigFrame(new TxnFrameWriter(), 200, 2));
    writer.recycle(first);
    const second = bigFrame(writer, 200, 2);
    assert.equal(second.buffer, first.buffer, 'the same memory');
    assert.deepEqual(second, expected, 'no byte of the first frame is left');
    assert.equal(decodeTxnFrame(second).entries.length, 200);
  });

  it('without recycle, or after a second recycle, frames never share memory', () => {
    const writer = new TxnFrameWriter();
    const first = bigFrame(writer, 200, 1);
    const second = bigFrame(writer, 200, 2);
    assert.notEqual(second.buffer, first.buffer);
    writer.recycle(first);
    writer.recycle(first);
    const third = bigFrame(writer, 200, 3);
    const fourth = bigFrame(writer, 200, 4);
    assert.equal(third.buffer, first.buffer);
    assert.notEqual(fourth.buffer, first.buffer, 'a frame recycled twice is lent once');
    assert.equal(first[first.length - 20], 3, 'the first frame now holds the third');
  });

  it('small frames (Node pool slices) and foreign buffers are ignored', () => {
    const writer = new TxnFrameWriter();
    const small = bigFrame(writer, 2, 1);
    const copy = Buffer.from(small);
    writer.recycle(small);
    writer.recycle(Buffer.alloc(1 << 20));
    const next = bigFrame(writer, 2, 2);
    assert.equal(next[next.length - 20], 2);
    assert.deepEqual(small, copy, 'the small frame is untouched by the next one');
  });
});

describe('txn frames: malformed input throws CodecError', () => {
  it('rejects frames shorter than 8 bytes and control frames', () => {
    for (let length = 0; length < 8; length++) {
      expectCodecError(() => decodeTxnFrame(goldenBytes('a.txn_insert_2').subarray(0, length)));
      expectCodecError(() => summarizeTxnFrame(goldenBytes('a.txn_insert_2').subarray(0, length)));
    }
    expectCodecError(() => decodeTxnFrame(goldenBytes('b.committed_update')));
  });

  it('an entry length running past the end names the offset of the length', () => {
    const bytes = goldenBytes('a.txn_insert_2');
    const error = expectCodecError(() => decodeTxnFrame(bytes.subarray(0, 20)));
    assert.equal(error.offset, 8);
    assert.match(error.message, /runs past the frame end/);
    assert.match(error.message, /at byte 8\)/);
    // Second entry (starts at 8 + 1 + 30 = 39) cut short.
    const second = expectCodecError(() => decodeTxnFrame(bytes.subarray(0, 45)));
    assert.equal(second.offset, 39);
  });

  it('cutting golden frames at every length throws CodecError or stops at an entry boundary', () => {
    for (const name of TXN_FRAMES) {
      const bytes = goldenBytes(name);
      const full = decodeTxnFrame(bytes);
      let decodedCuts = 0;
      for (let cut = 0; cut < bytes.length; cut++) {
        const part = bytes.subarray(0, cut);
        let frame: ReturnType<typeof decodeTxnFrame>;
        try {
          frame = decodeTxnFrame(part);
        } catch (error) {
          assert.ok(error instanceof CodecError, `${name} cut at ${cut}: ${(error as Error).message}`);
          expectCodecError(() => summarizeTxnFrame(part), `${name} summary cut at ${cut}`);
          continue;
        }
        decodedCuts++;
        // Only a cut at an entry boundary decodes; it has no tail and a prefix of the entries.
        assert.equal(frame.sequenceId, undefined, `${name} cut at ${cut}`);
        assert.deepEqual(frame.entries, full.entries.slice(0, frame.entries.length), `${name} cut at ${cut}`);
      }
      // 8 (header only) plus one boundary after each entry.
      assert.equal(decodedCuts, 1 + full.entries.length, name);
    }
  });

  it('corrupted entry headers inside a well-framed entry throw CodecError', () => {
    const txnTime = Buffer.alloc(8);
    txnTime.writeDoubleBE(1700000000000);
    const cases: number[][] = [
      [0x01, 0x11], // action only
      [0x03, 0x11, 0x00, 0x01], // no key length
      [0x05, 0x11, 0x00, 0x01, 0x7f, 0x00], // key length past the entry
      [0x02, 0x11, 0xc0], // 4-byte nodeId varint cut by the entry end
      [0x0c, 0x11, 0x00, 0x01, 0x01, 0x31, 0x42, 0, 0, 0, 0, 0, 0], // version cut
      [0x10, 0x11, 0x00, 0x01, 0x01, 0x31, 0x42, 0, 0, 0, 0, 0, 0, 0, 0x05, 0x61, 0x62], // user cut
      [0x0f, 0x91, 0x10, 0x00, 0x01, 0x01, 0x31, 0x42, 0, 0, 0, 0, 0, 0, 0, 0xff], // expiration (flag 0x1000) cut
    ];
    for (const entry of cases) {
      const frame = Buffer.concat([txnTime, Buffer.from(entry)]);
      const error = expectCodecError(() => decodeTxnFrame(frame), Buffer.from(entry).toString('hex'));
      assert.ok(error.offset >= 8, `offset ${error.offset} lies inside the frame body`);
    }
  });

  it('2000 seeded mutations of golden frames decode or throw CodecError, nothing else', () => {
    const random = seeded(77);
    const sources = TXN_FRAMES.map(goldenBytes);
    let rejected = 0;
    for (let i = 0; i < 2000; i++) {
      const bytes = Buffer.from(sources[i % sources.length]!);
      const flips = randomInt(random, 1, 4);
      for (let f = 0; f < flips; f++)
        bytes[randomInt(random, 9, bytes.length - 1)] = randomInt(random, 0, 255);
      try {
        decodeTxnFrame(bytes);
        summarizeTxnFrame(bytes);
      } catch (error) {
        assert.ok(
          error instanceof CodecError,
          `${bytes.toString('hex')}: ${(error as Error).constructor.name}: ${(error as Error).message}`,
        );
        rejected++;
      }
    }
    assert.ok(rejected > 0);
  });
});

describe('txn frames: TxnFrameWriter pool', () => {
  const pool = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff));
  /** A frame of `count` puts whose values are pool[offset, offset + 300) for offsets 0, 13, 26, …, copied in place. */
  function pooledFrame(writer: TxnFrameWriter, count: number, sizeHint: number): Buffer {
    writer.begin(1, sizeHint);
    for (let i = 0; i < count; i++) {
      const at = writer.startEntry({ type: 'put', nodeId: 0, tableId: 1, key: i, version: 1 }, 300);
      const from = writer.poolOffset + ((i * 13) % 4000);
      writer.target.copyWithin(at, from, from + 300);
      writer.endEntry(at + 300);
    }
    return writer.finish(2);
  }
  const valuesOf = (frame: Buffer) => decodeTxnFrame(frame).entries.map((entry) => Buffer.from(entry.value!));

  it('keeps the pool in every buffer past the frame, also across growth and recycled (larger) spares', () => {
    const writer = new TxnFrameWriter(pool);
    assert.equal(new TxnFrameWriter().poolOffset, -1, 'no pool, no offset');
    // A small hint grows the buffer several times; a large frame then a smaller one reuses the larger spare.
    const grown = pooledFrame(writer, 400, 64);
    const big = pooledFrame(writer, 600, 600 * 330);
    writer.recycle(big);
    const small = pooledFrame(writer, 300, 300 * 330);
    assert.equal(small.buffer, big.buffer, 'the spare was reused');
    for (const [frame, count] of [
      [grown, 400],
      [small, 300],
    ] as const) {
      const values = valuesOf(frame);
      assert.equal(values.length, count);
      values.forEach((value, i) => {
        const offset = (i * 13) % 4000;
        assert.deepEqual(value, pool.subarray(offset, offset + 300), `entry ${i}`);
      });
      // The frame ends before the pool: its last bytes are its tail, not pool bytes.
      assert.equal(decodeTxnFrame(frame).sequenceId, 2);
    }
  });

  it('writes the same frames with and without a pool when entries copy the same bytes', () => {
    const plain = new TxnFrameWriter();
    const expected = plain.begin(1, 1 << 16);
    for (let i = 0; i < 50; i++) {
      const offset = (i * 13) % 4000;
      expected.addEntry(
        { type: 'put', nodeId: 0, tableId: 1, key: i, version: 1 },
        pool.subarray(offset, offset + 300),
      );
    }
    assert.deepEqual(pooledFrame(new TxnFrameWriter(pool), 50, 1 << 16), expected.finish(2));
  });
});
