import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  type CaptureFooter,
  type CaptureRecord,
  Direction,
  RecordKind,
} from '../../../src/capture/format.js';
import { CaptureInspector, type DecodedRecord } from '../../../src/capture/inspect.js';
import { CaptureReader } from '../../../src/capture/reader.js';
import { CaptureWriter } from '../../../src/capture/writer.js';
import { BlobReference } from '../../../src/protocol/blob.js';
import { Command } from '../../../src/protocol/codes.js';
import {
  encodeBlobChunk,
  encodeCommittedUpdate,
  encodeControl,
  encodeNodeIdMap,
  encodeTableStructure,
  isControlFrame,
} from '../../../src/protocol/control-frame.js';
import { TxnFrameWriter } from '../../../src/protocol/txn-frame.js';
import { type SyntheticOptions, SyntheticWorkload } from '../../../src/workload/synthetic.js';
import { makeHeader, readAll, tempDir } from './support.js';

const tmp = tempDir();
after(() => tmp.cleanup());

const BASE: SyntheticOptions = {
  frames: 4,
  recordsPerFrame: 5,
  recordSize: 96,
  blobSize: 300 * 1024,
  blobsPerFrame: 1,
  seed: 7,
  tableName: 'synthetic',
  tableId: 3,
  originName: 'fake-src',
  baseVersion: 1_795_327_117_408,
  baseSequence: 1_795_327_117_000,
};

const FOOTER = {
  endedAtMs: 1_795_327_200_000,
  structures: [{ connection: 1, tableId: 3, tableName: 'synthetic' }],
  reason: 'test',
};

interface Fixture {
  path: string;
  main: SyntheticWorkload;
  other: SyntheticWorkload;
  records: CaptureRecord[];
  /** Offset of the data frame of main frame i. */
  frameOffsets: number[];
  blobChunks: number;
  malformedOffset: number;
  tailLessOffset: number;
  ackTimes: number[];
}

async function buildFixture(): Promise<Fixture> {
  const path = tmp.path('inspect.hrcap');
  const main = new SyntheticWorkload(BASE);
  // Connection 2 uses the same table id for another table: decoder state is per connection.
  const other = new SyntheticWorkload({
    ...BASE,
    frames: 1,
    recordsPerFrame: 2,
    recordSize: 64,
    blobSize: 0,
    seed: 8,
    tableName: 'other',
    originName: 'other-src',
  });
  // Started 10 s ago: the event records (wall-clock times) come after every message time below.
  const writer = await CaptureWriter.create(path, makeHeader({ startedAtMs: Date.now() - 10_000 }));
  writer.event(RecordKind.OPEN, 1, { role: 'subscriber', url: 'wss://host/' });
  writer.event(RecordKind.OPEN, 2, { role: 'subscriber', url: 'wss://host/' });
  const ackTimes: number[] = [];
  const [idMap, structure] = main.preamble(['fake-src']);
  writer.message(Direction.FROM_SOURCE, 1, idMap!, 2, 1000);
  writer.message(Direction.FROM_SOURCE, 1, structure!, 2, 2000);
  let blobChunks = 0;
  for (let i = 0; i < main.frameCount; i++) {
    const t = 10_000 + i * 100_000 + (i >= 2 ? 2_500_000 : 0);
    const built = main.build(i);
    writer.message(Direction.FROM_SOURCE, 1, built.data, 2, t);
    for (const [j, chunk] of built.blobChunks.entries()) {
      writer.message(Direction.FROM_SOURCE, 1, chunk, 2, t + 1 + j);
      blobChunks++;
    }
    writer.message(Direction.TO_SOURCE, 1, encodeCommittedUpdate(main.sequenceId(i)), 2, t + 50_000);
    ackTimes.push(t + 50_000);
  }
  // Connection 2's preamble, encoded by hand (the same frames other.preamble() would give).
  const otherPreamble = [
    encodeNodeIdMap({ 'other-src': 0 }, ['other-src']),
    encodeTableStructure(other.tableStructure(), 3, 'other'),
  ];
  assert.deepEqual(otherPreamble, other.preamble(['other-src']));
  for (const [j, frame] of otherPreamble.entries()) {
    writer.message(Direction.FROM_SOURCE, 2, frame, 2, 3_000_000 + j);
  }
  writer.message(Direction.FROM_SOURCE, 2, other.build(0).data, 2, 3_000_100);
  writer.message(Direction.FROM_SOURCE, 2, encodeControl(250, 'future'), 2, 3_000_200);
  writer.message(
    Direction.FROM_SOURCE,
    2,
    encodeControl(Command.TABLE_FIXED_STRUCTURE, 'not an object', 9, 'x'),
    2,
    3_000_300,
  );
  // A transaction frame without a sequence tail and with no entries, and a blob of 0 bytes.
  writer.message(Direction.FROM_SOURCE, 2, new TxnFrameWriter().begin(1).finish(), 2, 3_000_400);
  writer.message(
    Direction.FROM_SOURCE,
    2,
    encodeBlobChunk({ fileId: 'empty', size: 0, finished: true }, Buffer.alloc(0)),
    2,
    3_000_500,
  );
  writer.event(RecordKind.CLOSE, 1, { code: 1000 });
  writer.event(RecordKind.CLOSE, 2, { code: 1000 });
  await writer.close(FOOTER);

  const { records, error, status } = await readAll(path);
  assert.equal(error, undefined);
  assert.equal(status?.truncated, false);
  const txn = records.filter((r) => r.kind === RecordKind.MESSAGE && !isControlFrame(r.payload));
  assert.equal(txn.length, 6);
  const malformed = records.find((r) => r.timeUs === 3_000_300)!;
  return {
    path,
    main,
    other,
    records,
    frameOffsets: txn.slice(0, 4).map((r) => r.offset),
    blobChunks,
    malformedOffset: malformed.offset,
    tailLessOffset: txn[5]!.offset,
    ackTimes,
  };
}

describe('CaptureInspector', () => {
  let fixture: Fixture;

  before(async () => {
    fixture = await buildFixture();
  });

  it('summarizes frames, records, blobs, acks and gaps of a synthetic capture', () => {
    const { main, records } = fixture;
    const inspector = new CaptureInspector();
    for (const record of records) inspector.add(record);
    const summary = inspector.summary({ truncated: false });

    const messages = records.filter((r) => r.kind === RecordKind.MESSAGE);
    assert.equal(fixture.blobChunks, 8, '300 KiB blobs go in two 256 KiB chunks');
    assert.equal(summary.frames.total, messages.length);
    assert.equal(summary.frames.total, 2 + 4 + 8 + 4 + 2 + 1 + 1 + 1 + 1 + 1);
    assert.deepEqual(summary.frames.byType, {
      NODE_NAME_TO_ID_MAP: 2,
      TABLE_FIXED_STRUCTURE: 2,
      TRANSACTION: 6,
      BLOB_CHUNK: 9,
      COMMITTED_UPDATE: 4,
      UNKNOWN: 1,
      MALFORMED: 1,
    });
    assert.equal(summary.frames.toSource, 4);
    assert.equal(summary.frames.fromSource, messages.length - 4);
    assert.equal(
      summary.bytes,
      messages.reduce((sum, r) => sum + r.payload.length, 0),
    );
    assert.equal(summary.connections, 2);

    assert.equal(summary.records.total, 22);
    assert.deepEqual(summary.records.byTable, { synthetic: 20, other: 2 });
    assert.deepEqual(summary.records.byType, { put: 22 });
    assert.deepEqual(summary.records.perFrame, { min: 2, p50: 5, max: 5 });

    assert.deepEqual(summary.blobs, { count: 5, bytes: 4 * 300 * 1024 });

    const txn = messages.filter((r) => r.payload.length > 0 && !isControlFrame(r.payload));
    const largest = txn.reduce((a, b) => (b.payload.length > a.payload.length ? b : a));
    assert.ok(fixture.frameOffsets.includes(largest.offset));
    assert.deepEqual(summary.largestFrame, {
      bytes: largest.payload.length,
      records: 5,
      offset: largest.offset,
    });

    assert.equal(summary.acks, 4);
    assert.equal(summary.lastAck, main.sequenceId(3));
    // Frame 2 comes 2.55 s after the ack of frame 1: the only pause over 1 s between messages.
    assert.deepEqual(summary.gaps, [{ atMs: Math.round(fixture.ackTimes[1]! / 1000), ms: 2550 }]);
    assert.deepEqual(summary.unknownCodes, { '250': 1 });
    assert.equal(summary.decodeErrors.length, 1);
    assert.equal(summary.decodeErrors[0]!.offset, fixture.malformedOffset);
    assert.match(summary.decodeErrors[0]!.error, /malformed TABLE_FIXED_STRUCTURE/);

    assert.equal(summary.truncated, false);
    assert.equal(summary.truncatedAt, undefined);
    const footer = summary.footer as CaptureFooter;
    assert.deepEqual(footer, { ...FOOTER, messages: messages.length });
    const first = records[0]!.timeUs;
    const last = records.at(-1)!.timeUs;
    assert.equal(summary.spanMs, Math.round((last - first) / 1000));
  });

  it('add(record, true) decodes every record to what the workload wrote', () => {
    const { main, other, records } = fixture;
    const inspector = new CaptureInspector();
    const plain = new CaptureInspector();
    const decoded: DecodedRecord[] = [];
    for (const record of records) {
      const out = inspector.add(record, true);
      if (record.kind !== RecordKind.MESSAGE || isControlFrame(record.payload)) assert.deepEqual(out, []);
      decoded.push(...out);
      assert.deepEqual(plain.add(record), [], 'nothing is decoded without the flag');
    }
    assert.deepEqual(inspector.summary({ truncated: false }), plain.summary({ truncated: false }));
    assert.equal(decoded.length, 22);

    for (const [n, entry] of decoded.slice(0, 20).entries()) {
      const id = n + 1;
      const frame = Math.floor(n / 5);
      const expected = main.expectedRecord(id);
      assert.equal(entry.connection, 1);
      assert.equal(entry.direction, 'from-source');
      assert.equal(entry.table, 'synthetic');
      assert.equal(entry.type, 'put');
      assert.equal(entry.key, id);
      assert.equal(entry.version, main.version(frame));
      assert.equal(entry.origin, 'fake-src');
      assert.equal(entry.error, undefined);
      const frameRecord = records.find((r) => r.offset === fixture.frameOffsets[frame])!;
      assert.equal(entry.timeMs, Math.round(frameRecord.timeUs / 1000));
      const value = entry.value as { id: unknown; generation: unknown; payload: unknown; blob?: unknown };
      assert.deepEqual(
        { id: value.id, generation: value.generation, payload: value.payload },
        {
          id: expected.id,
          generation: expected.generation,
          payload: expected.payload,
        },
      );
      if (expected.blob) {
        assert.ok(value.blob instanceof BlobReference, `record ${id} has a blob reference`);
        assert.equal(value.blob.fileId, main.fileId(id));
        assert.equal(value.blob.size, BASE.blobSize);
      } else {
        assert.equal(value.blob, undefined);
      }
    }
    for (const [n, entry] of decoded.slice(20).entries()) {
      const expected = other.expectedRecord(n + 1);
      assert.equal(entry.connection, 2);
      assert.equal(entry.table, 'other');
      assert.equal(entry.origin, 'other-src');
      assert.deepEqual(entry.value, {
        id: expected.id,
        generation: expected.generation,
        payload: expected.payload,
      });
    }
  });

  it('a table id with no structure on that connection counts as #id and reports a decode error per value', () => {
    const { main } = fixture;
    const inspector = new CaptureInspector();
    const data = main.build(0).data;
    const record: CaptureRecord = {
      kind: RecordKind.MESSAGE,
      direction: Direction.FROM_SOURCE,
      connection: 5,
      timeUs: 0,
      opcode: 2,
      payload: data,
      offset: 100,
    };
    const out = inspector.add(record, true);
    assert.equal(out.length, 5);
    for (const entry of out) {
      assert.equal(entry.table, '#3');
      assert.equal(entry.origin, 0);
      assert.equal(entry.value, undefined);
      assert.match(entry.error ?? '', /no TABLE_FIXED_STRUCTURE/);
    }
    // Structures seen on connection 1 do not leak into connection 5.
    for (const frame of main.preamble(['fake-src']))
      inspector.add({ ...record, connection: 1, payload: frame });
    assert.equal(inspector.add(record, true)[0]!.table, '#3');
    const summary = inspector.summary({ truncated: false });
    assert.deepEqual(summary.records.byTable, { '#3': 10 });
    assert.equal(summary.connections, 2);
  });

  it('an empty or short message is a decode error, not a crash', () => {
    const inspector = new CaptureInspector();
    const base: CaptureRecord = {
      kind: RecordKind.MESSAGE,
      direction: Direction.FROM_SOURCE,
      connection: 1,
      timeUs: 0,
      opcode: 2,
      payload: Buffer.alloc(0),
      offset: 50,
    };
    assert.deepEqual(inspector.add(base, true), []);
    assert.deepEqual(inspector.add({ ...base, payload: Buffer.from([1, 2, 3]), offset: 80 }, true), []);
    const summary = inspector.summary({ truncated: false });
    assert.equal(summary.frames.total, 2);
    assert.deepEqual(
      summary.decodeErrors.map((e) => e.offset),
      [50, 80],
    );
    assert.deepEqual(summary.records.perFrame, { min: null, p50: null, max: null });
    assert.equal(summary.largestFrame, null);
  });

  it('a torn capture: the summary says truncated, where, and has no footer', async () => {
    const bytes = readFileSync(fixture.path);
    const lastFrame = fixture.frameOffsets[3]!;
    const path = tmp.path('torn.hrcap');
    writeFileSync(path, bytes.subarray(0, lastFrame + 100));
    const reader = await CaptureReader.open(path);
    const inspector = new CaptureInspector();
    try {
      for await (const record of reader.records()) inspector.add(record);
    } finally {
      await reader.close();
    }
    const summary = inspector.summary(reader.status);
    assert.equal(summary.truncated, true);
    assert.equal(summary.truncatedAt, lastFrame);
    assert.equal(summary.footer, undefined);
    assert.equal(summary.records.total, 15);
    assert.equal(summary.acks, 3);
    assert.equal(summary.lastAck, fixture.main.sequenceId(2));
  });

  it('the tail-less empty transaction frame counts as a frame with no records', () => {
    const inspector = new CaptureInspector();
    const record = fixture.records.find((r) => r.offset === fixture.tailLessOffset)!;
    assert.deepEqual(inspector.add(record, true), []);
    const summary = inspector.summary({ truncated: false });
    assert.deepEqual(summary.frames.byType, { TRANSACTION: 1 });
    assert.equal(summary.records.total, 0);
    assert.deepEqual(summary.decodeErrors, []);
    assert.deepEqual(summary.largestFrame, { bytes: 8, records: 0, offset: fixture.tailLessOffset });
  });
});
