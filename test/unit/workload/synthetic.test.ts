import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { BlobReference } from '../../../src/protocol/blob.js';
import { decodeControlFrame } from '../../../src/protocol/control-frame.js';
import { TableDecoders } from '../../../src/protocol/table-decoder.js';
import { decodeTxnFrame } from '../../../src/protocol/txn-frame.js';
import { parseKeyDistribution } from '../../../src/workload/key-distribution.js';
import { parseOperationMix } from '../../../src/workload/operation-mix.js';
import { OP_DELETE } from '../../../src/workload/operation-plan.js';
import { parseTemplate } from '../../../src/workload/shape-template.js';
import { ShapedRecordEncoder } from '../../../src/workload/shaped-encoder.js';
import { type SyntheticOptions, SyntheticWorkload } from '../../../src/workload/synthetic.js';
import { tailOf } from '../support.js';

const BASE: SyntheticOptions = {
  frames: 4,
  recordsPerFrame: 5,
  recordSize: 128,
  blobSize: 0,
  seed: 42,
  tableName: 'synthetic',
  tableId: 3,
  originName: 'fake-src',
  baseVersion: 1795327117408,
  baseSequence: 1795327117000,
};

function workload(overrides: Partial<SyntheticOptions> = {}): SyntheticWorkload {
  return new SyntheticWorkload({ ...BASE, ...overrides });
}

function decodersOf(w: SyntheticWorkload): TableDecoders {
  const decoders = new TableDecoders();
  decoders.define(w.tableId, w.options.tableName, w.tableStructure());
  return decoders;
}

interface DecodedRecord {
  id: number;
  generation: number;
  payload: string;
  blob?: unknown;
}

function decodeFrame(w: SyntheticWorkload, index: number): { keys: unknown[]; records: DecodedRecord[] } {
  const decoders = decodersOf(w);
  const frame = decodeTxnFrame(w.build(index).data);
  return {
    keys: frame.entries.map((e) => e.key),
    records: frame.entries.map((e) => decoders.decode(w.tableId, e.value!) as DecodedRecord),
  };
}

/** fileId and size of a decoded blob field, whether or not it kept its BlobReference class. */
function blobFields(blob: unknown): { fileId: unknown; size: unknown } {
  const value = blob as { fileId?: unknown; size?: unknown; options?: { size?: unknown } };
  return { fileId: value.fileId, size: value.size ?? value.options?.size };
}

describe('SyntheticWorkload', () => {
  it('frames decode to exactly the expected records (no blobs)', () => {
    const w = workload();
    assert.equal(w.frameCount, 4);
    assert.equal(w.totalRecords, 20);
    for (let index = 0; index < w.frameCount; index++) {
      const built = w.build(index);
      assert.equal(built.index, index);
      assert.equal(built.records, 5);
      assert.equal(built.blobs, 0);
      assert.deepEqual(built.blobChunks, []);
      const frame = decodeTxnFrame(built.data);
      assert.equal(frame.txnTime, w.version(index));
      assert.equal(frame.entries.length, 5);
      const decoders = decodersOf(w);
      for (const [j, entry] of frame.entries.entries()) {
        const id = index * 5 + j + 1;
        assert.equal(entry.type, 'put');
        assert.equal(entry.action, 0x11);
        assert.equal(entry.key, id);
        assert.equal(entry.nodeId, 0);
        assert.equal(entry.tableId, 3);
        assert.equal(entry.version, w.version(index));
        assert.equal(entry.user, undefined);
        assert.deepEqual(decoders.decode(3, entry.value!), w.expectedRecord(id));
      }
    }
  });

  it('expected records: generation, payload length, no blob field without blobs; each generation differs', () => {
    const w = workload();
    const record = w.expectedRecord(7);
    assert.equal(record.id, 7);
    assert.equal(record.generation, 0);
    assert.equal(record.payload.length, w.payloadLength);
    assert.equal('blob' in record, false);
    const update = w.expectedRecord(7, 1);
    assert.equal(update.generation, 1);
    assert.equal(update.payload.length, w.payloadLength);
    assert.notEqual(update.payload, record.payload, 'an update rewrites the payload');
    assert.notEqual(w.expectedRecord(7, 2).payload, update.payload);
  });

  it('frames with blobs: blob fields reference fileId(id) with the blob size, only on the first blobsPerFrame', () => {
    const w = workload({ blobSize: 1000, blobsPerFrame: 2 });
    assert.equal(w.blobsPerFrame, 2);
    assert.equal(w.totalBlobs, 8);
    for (let index = 0; index < w.frameCount; index++) {
      const frame = decodeTxnFrame(w.build(index).data);
      const decoders = decodersOf(w);
      for (const [j, entry] of frame.entries.entries()) {
        const id = index * 5 + j + 1;
        const expected = w.expectedRecord(id);
        const decoded = decoders.decode(3, entry.value!) as DecodedRecord;
        assert.equal(decoded.id, expected.id);
        assert.equal(decoded.generation, expected.generation);
        assert.equal(decoded.payload, expected.payload);
        if (j < 2) {
          assert.deepEqual(expected.blob, { size: 1000 });
          assert.equal(entry.hasBlobs, true);
          assert.equal(entry.action, 0x2011);
          assert.deepEqual(blobFields(decoded.blob), { fileId: w.fileId(id), size: 1000 });
        } else {
          assert.equal(expected.blob, undefined);
          assert.equal(decoded.blob, undefined);
          assert.equal(entry.hasBlobs, undefined);
          assert.equal(entry.action, 0x11);
        }
      }
    }
  });

  it('the blob field of a decoded record is a BlobReference (fileId, size)', () => {
    const w = workload({ blobSize: 1000 });
    const { records } = decodeFrame(w, 0);
    const blob = records[0]!.blob;
    assert.ok(blob instanceof BlobReference, `blob decoded as ${(blob as object)?.constructor?.name}`);
    assert.equal(blob.fileId, w.fileId(1));
    assert.equal(blob.size, 1000);
  });

  it('blob chunk frames carry blobContent(id), split at 256 KiB', () => {
    const w = workload({ blobSize: 300_000, blobsPerFrame: 2, recordsPerFrame: 3 });
    const built = w.build(1);
    assert.equal(built.blobs, 2);
    assert.equal(built.blobBytes, 600_000);
    assert.equal(built.blobChunks.length, 4, 'two chunks per 300,000-byte blob');
    const byFile = new Map<string, Buffer[]>();
    let finished = 0;
    for (const chunkFrame of built.blobChunks) {
      const chunk = decodeControlFrame(chunkFrame);
      assert.equal(chunk.type, 'BLOB_CHUNK');
      if (chunk.type !== 'BLOB_CHUNK') continue;
      assert.equal(chunk.header.size, 300_000);
      if (chunk.header.finished) finished++;
      const parts = byFile.get(chunk.header.fileId) ?? [];
      parts.push(chunk.chunk);
      byFile.set(chunk.header.fileId, parts);
    }
    assert.equal(finished, 2);
    assert.deepEqual([...byFile.keys()], [w.fileId(4), w.fileId(5)]);
    for (const id of [4, 5]) {
      const content = Buffer.concat(byFile.get(w.fileId(id))!);
      assert.equal(content.length, 300_000);
      assert.ok(content.equals(w.blobContent(id)), `blob of record ${id}`);
    }
    assert.ok(!w.blobContent(4).equals(w.blobContent(5)), 'blobs differ between records');
  });

  it('sequence tails are unique, increasing and match sequenceId(i)', () => {
    const w = workload({ frames: 12 });
    let previous = Number.NEGATIVE_INFINITY;
    const seen = new Set<number>();
    for (let index = 0; index < w.frameCount; index++) {
      const built = w.build(index);
      const tail = tailOf(built.data);
      assert.equal(tail, w.sequenceId(index));
      assert.equal(built.sequenceId, tail);
      assert.equal(decodeTxnFrame(built.data).sequenceId, tail);
      assert.ok(tail > previous, `tail of frame ${index} increases`);
      assert.ok(tail !== 0);
      assert.ok(!seen.has(tail));
      seen.add(tail);
      previous = tail;
    }
    assert.ok(w.version(1) > w.version(0), 'each frame has its own version');
  });

  it('the same seed gives identical bytes; another seed gives other payloads', () => {
    const a = workload({ blobSize: 500 });
    const b = workload({ blobSize: 500 });
    const c = workload({ blobSize: 500, seed: 43 });
    for (let index = 0; index < a.frameCount; index++) {
      const fa = a.build(index);
      const fb = b.build(index);
      assert.ok(fa.data.equals(fb.data), `frame ${index}`);
      assert.deepEqual(fa.blobChunks, fb.blobChunks);
      // Rebuilding the same frame later gives the same bytes (resume).
      assert.ok(a.build(index).data.equals(fa.data));
      assert.ok(!c.build(index).data.equals(fa.data));
    }
    const payloadsA = decodeFrame(a, 0).records.map((r) => r.payload);
    const payloadsC = decodeFrame(c, 0).records.map((r) => r.payload);
    for (let j = 0; j < payloadsA.length; j++) assert.notEqual(payloadsA[j], payloadsC[j]);
    assert.ok(!a.blobContent(1).equals(c.blobContent(1)));
    assert.notEqual(a.fileId(1), c.fileId(1));
  });

  for (const recordSize of [64, 256, 1024]) {
    it(`encoded values are within ±8 bytes of recordSize ${recordSize}`, () => {
      const w = workload({ recordSize, frames: 3000, recordsPerFrame: 40 });
      for (const index of [0, 1, 2999]) {
        const frame = decodeTxnFrame(w.build(index).data);
        for (const entry of frame.entries) {
          const size = entry.value!.length;
          assert.ok(
            Math.abs(size - recordSize) <= 8,
            `record ${String(entry.key)}: ${size} B for ${recordSize}`,
          );
        }
      }
    });
  }

  it('builds frames of any record count (37 × 64 B needs an odd-sized 4171-byte frame buffer)', () => {
    for (const recordsPerFrame of [36, 37, 38, 39]) {
      const w = workload({ recordsPerFrame, recordSize: 64, frames: 1 });
      const frame = decodeTxnFrame(w.build(0).data);
      assert.equal(frame.entries.length, recordsPerFrame);
      const decoders = decodersOf(w);
      const last = frame.entries[recordsPerFrame - 1]!;
      assert.deepEqual(decoders.decode(w.tableId, last.value!), w.expectedRecord(recordsPerFrame));
    }
  });

  it('preamble: node id map with the origin as 0, then the table structure', () => {
    const w = workload();
    const [map, structure, ...rest] = w.preamble(['node-B', 'fake-src']).map((f) => decodeControlFrame(f));
    assert.equal(rest.length, 0);
    assert.deepEqual(map, {
      type: 'NODE_NAME_TO_ID_MAP',
      nodeIds: { 'fake-src': 0 },
      subscribedNames: ['node-B', 'fake-src'],
    });
    assert.equal(structure?.type, 'TABLE_FIXED_STRUCTURE');
    if (structure?.type === 'TABLE_FIXED_STRUCTURE') {
      assert.equal(structure.tableId, 3);
      assert.equal(structure.tableName, 'synthetic');
      assert.deepEqual(structure.structure, w.tableStructure());
    }
  });

  it('table id defaults to 1 and blobsPerFrame to all records when blobs are on', () => {
    const w = new SyntheticWorkload({ ...BASE, tableId: undefined, blobSize: 10 });
    assert.equal(w.tableId, 1);
    assert.equal(w.blobsPerFrame, 5);
    assert.equal(workload({ blobSize: 10, blobsPerFrame: 50 }).blobsPerFrame, 5);
    assert.equal(workload({ blobSize: 0, blobsPerFrame: 3 }).blobsPerFrame, 0);
  });
});

describe('SyntheticWorkload with a mix', () => {
  it('frames carry the plan: puts decode to expected(id, generation), deletes are delete entries with no record', () => {
    const w = workload({
      frames: 12,
      recordsPerFrame: 20,
      blobSize: 100,
      blobsPerFrame: 3,
      mix: parseOperationMix('insert=60,update=30,delete=10'),
      keys: parseKeyDistribution('zipf:1.1'),
    });
    const decoders = decodersOf(w);
    const seen = { put: 0, update: 0, delete: 0 };
    for (let index = 0; index < w.frameCount; index++) {
      const plan = w.plan.frame(index);
      const built = w.build(index);
      const frame = decodeTxnFrame(built.data);
      assert.equal(frame.entries.length, 20);
      let blobs = 0;
      for (const [j, entry] of frame.entries.entries()) {
        assert.equal(entry.key, plan.ids[j]);
        assert.equal(entry.version, w.version(index));
        if (plan.kinds[j] === OP_DELETE) {
          assert.equal(entry.type, 'delete');
          assert.equal(entry.hasRecord, false);
          seen.delete++;
          continue;
        }
        assert.equal(entry.type, 'put');
        const generation = plan.generations[j]!;
        if (generation > 0) seen.update++;
        else seen.put++;
        const decoded = decoders.decode(w.tableId, entry.value!) as Record<string, unknown>;
        const expected = w.expectedRecord(plan.ids[j]!, generation);
        assert.deepEqual({ ...decoded, blob: undefined }, { ...expected, blob: undefined });
        assert.equal(entry.hasBlobs === true, expected.blob !== undefined);
        if (expected.blob) blobs++;
      }
      assert.equal(built.blobs, blobs);
      assert.equal(built.blobBytes, blobs * 100);
    }
    assert.ok(seen.put > 0 && seen.update > 0 && seen.delete > 0, JSON.stringify(seen));
    assert.throws(
      () =>
        workload({
          mix: parseOperationMix('insert=1,update=1'),
          blobSize: 10,
          blobFaults: [{ kind: 'error', every: 2 }],
        }),
      /--blob-faults .* --mix/,
    );
  });
});

describe('SyntheticWorkload with shaped records and a mix', () => {
  it('every table follows the one plan: deletes are delete entries, puts decode to expected(id, generation)', () => {
    const template = parseTemplate(readFileSync('templates/products.yaml', 'utf8'));
    const encoders = [
      new ShapedRecordEncoder(template, { tableName: 'a', seed: 1 }),
      new ShapedRecordEncoder(template, { tableName: 'b', seed: 2 }),
    ];
    const w = workload({
      frames: 10,
      recordsPerFrame: 15,
      recordSize: 0,
      encoders,
      mix: parseOperationMix('insert=60,update=30,delete=10'),
      keys: parseKeyDistribution('hot:10%'),
    });
    const decoders = new TableDecoders();
    for (const [t, e] of encoders.entries()) decoders.define(w.tableId + t, e.tableName, e.tableStructure());
    const seen = { insert: 0, update: 0, delete: 0 };
    for (let index = 0; index < w.frameCount; index++) {
      const plan = w.plan.frame(index);
      const built = w.build(index);
      assert.equal(built.records, 30);
      const frame = decodeTxnFrame(built.data);
      assert.equal(frame.entries.length, 30);
      for (const [k, entry] of frame.entries.entries()) {
        const t = Math.floor(k / 15);
        const j = k % 15;
        assert.equal(entry.tableId, w.tableId + t);
        assert.equal(entry.key, plan.ids[j]);
        if (plan.kinds[j] === OP_DELETE) {
          assert.equal(entry.type, 'delete');
          assert.equal(entry.hasRecord, false);
          if (t === 0) seen.delete++;
          continue;
        }
        assert.equal(entry.type, 'put');
        const generation = plan.generations[j]!;
        if (t === 0) seen[generation > 0 ? 'update' : 'insert']++;
        const decoded = decoders.decode(entry.tableId, entry.value!);
        assert.deepEqual(decoded, encoders[t]!.expected(plan.ids[j]!, generation));
      }
    }
    assert.deepEqual(seen, w.plan.counts().sent);
    assert.ok(seen.update > 0 && seen.delete > 0, JSON.stringify(seen));
  });
});

describe('SyntheticWorkload with per-table counts (--scale over several captured tables)', () => {
  it("each table's entries stop at its own count; records, totals and the ids sent agree", () => {
    const template = parseTemplate(readFileSync('templates/products.yaml', 'utf8'));
    const encoders = ['a', 'b', 'c'].map(
      (name, t) => new ShapedRecordEncoder(template, { tableName: name, seed: t }),
    );
    const w = workload({
      frames: 4,
      recordsPerFrame: 10,
      recordSize: 0,
      encoders,
      tableRecords: [40, 25, 3],
    });
    assert.equal(w.totalRecords, 68);
    const idsByTable = new Map<number, number[]>();
    let sum = 0;
    for (let index = 0; index < w.frameCount; index++) {
      const built = w.build(index);
      const frame = decodeTxnFrame(built.data);
      assert.equal(built.records, frame.entries.length, `frame ${index}`);
      assert.equal(w.recordsIn(index), built.records, `frame ${index}`);
      sum += built.records;
      for (const entry of frame.entries) {
        const ids = idsByTable.get(entry.tableId) ?? [];
        ids.push(entry.key as number);
        idsByTable.set(entry.tableId, ids);
      }
    }
    assert.equal(sum, 68);
    const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
    assert.deepEqual(idsByTable.get(w.tableId), range(40));
    assert.deepEqual(idsByTable.get(w.tableId + 1), range(25));
    assert.deepEqual(idsByTable.get(w.tableId + 2), range(3));
    assert.throws(
      () => workload({ encoders, tableRecords: [1, 2, 3], mix: parseOperationMix('insert=1,update=1') }),
      /pure inserts only/,
    );
  });
});
