/**
 * The footer's frame index: what CaptureWriter lists (checked against what CaptureReader reads back from the file,
 * record by record), how a reader finds the footer from the end without a scan, a head-only scan, and every way an
 * index this version cannot use is refused.
 */
import assert from 'node:assert/strict';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { Direction, RECORD_HEAD_LENGTH, RecordKind } from '../../../src/capture/format.js';
import {
  FrameIndexBuilder,
  footerHeadIn,
  type IndexedFrame,
  parseFrameIndex,
} from '../../../src/capture/frame-index.js';
import { CaptureReader } from '../../../src/capture/reader.js';
import { CaptureWriter } from '../../../src/capture/writer.js';
import { encodeCommittedUpdate, encodeNodeName } from '../../../src/protocol/control-frame.js';
import { summarizeTxnFrame, TxnFrameWriter } from '../../../src/protocol/txn-frame.js';
import { makeHeader, tempDir } from './support.js';

const tmp = tempDir();
after(() => tmp.cleanup());

const FOOTER = { endedAtMs: 1_700_000_000_500, structures: [], reason: 'test' };

/** A transaction frame of `count` puts, with a sequence tail unless `tail` is undefined. */
function txn(count: number, firstKey: number, tail?: number): Buffer {
  const writer = new TxnFrameWriter().begin(1_700_000_000_000 + firstKey);
  for (let k = 0; k < count; k++)
    writer.addEntry(
      { type: 'put', nodeId: 0, tableId: 1, key: firstKey + k, version: 1_700_000_000_000 },
      Buffer.from([0x80]),
    );
  return writer.finish(tail);
}

/** Data frames on two connections between controls, acks and a message that is no transaction. */
async function mixedCapture(name: string): Promise<string> {
  const path = tmp.path(name);
  const writer = await CaptureWriter.create(path, makeHeader());
  writer.event(RecordKind.OPEN, 1, { role: 'subscriber' });
  writer.message(Direction.TO_SOURCE, 1, encodeNodeName('tool', 'data'), 2, 10);
  writer.message(Direction.FROM_SOURCE, 1, txn(3, 100, 11), 2, 20);
  writer.message(Direction.FROM_SOURCE, 2, txn(5, 200), 2, 30);
  writer.message(Direction.TO_SOURCE, 1, encodeCommittedUpdate(11), 2, 40);
  writer.message(Direction.FROM_SOURCE, 1, Buffer.from([0xff, 1, 2, 3, 4, 5, 6, 7, 8]), 2, 50);
  writer.message(Direction.FROM_SOURCE, 1, txn(40_000, 300, 12), 2, 60);
  writer.message(Direction.TO_SOURCE, 2, txn(2, 400, 13), 2, 70);
  await writer.close(FOOTER);
  return path;
}

async function readBack(path: string) {
  const reader = await CaptureReader.open(path);
  try {
    const records = [];
    for await (const record of reader.records()) records.push(record);
    return { records, footer: await reader.footer() };
  } finally {
    await reader.close();
  }
}

describe('the footer frame index', () => {
  it('lists every transaction frame from the source, where the reader finds it, with its summary', async () => {
    const { records, footer } = await readBack(await mixedCapture('mixed.hrcap'));
    const index = parseFrameIndex(footer?.frameIndex)!;
    const data = records.filter((r) => {
      if (r.kind !== RecordKind.MESSAGE || r.direction !== Direction.FROM_SOURCE) return false;
      try {
        summarizeTxnFrame(r.payload);
        return true;
      } catch {
        return false;
      }
    });
    assert.equal(
      data.length,
      3,
      'three transaction frames from the source (not the ack side, not the 0xff one)',
    );
    assert.deepEqual(
      [...index.keys()],
      data.map((r) => r.offset),
    );
    for (const record of data) {
      const summary = summarizeTxnFrame(record.payload);
      const expected: IndexedFrame = {
        connection: record.connection,
        offset: record.offset,
        length: record.payload.length,
        timeUs: record.timeUs,
        entries: summary.entryCount,
        txnTime: summary.txnTime,
        ...(summary.sequenceId === undefined ? {} : { tail: summary.sequenceId }),
      };
      assert.deepEqual(index.get(record.offset), expected);
    }
    assert.deepEqual(
      data.map((r) => index.get(r.offset)!.entries),
      [3, 5, 40_000],
    );
    assert.equal(index.get(data[1]!.offset)!.tail, undefined, 'a frame without a tail has none');
  });

  it('a head-only scan yields every record, the indexed ones skipped with empty payloads', async () => {
    const path = await mixedCapture('head-only.hrcap');
    const { records, footer } = await readBack(path);
    const index = parseFrameIndex(footer?.frameIndex)!;
    const reader = await CaptureReader.open(path);
    const scanned = [];
    for await (const record of reader.records({
      borrow: true,
      chunkBytes: 64,
      headOnly: (offset, length) => index.get(offset)?.length === length,
    }))
      scanned.push({ ...record, payload: Buffer.from(record.payload) });
    assert.equal(reader.status.complete, true);
    await reader.close();
    assert.deepEqual(
      scanned.map((r) => [r.kind, r.direction, r.connection, r.timeUs, r.offset, r.skipped ?? false]),
      records.map((r) => [r.kind, r.direction, r.connection, r.timeUs, r.offset, index.has(r.offset)]),
    );
    for (const [i, r] of scanned.entries())
      assert.deepEqual(r.payload, r.skipped ? Buffer.alloc(0) : records[i]!.payload);
  });

  it('footer() finds the footer from the end, also one over 1 MiB; a capture without one has none', async () => {
    const big = tmp.path('big-footer.hrcap');
    const writer = await CaptureWriter.create(big, makeHeader());
    for (let i = 0; i < 40_000; i++) writer.message(Direction.FROM_SOURCE, 1, txn(1, i, i + 1), 2, i);
    await writer.close(FOOTER);
    const reader = await CaptureReader.open(big);
    const footer = await reader.footer();
    await reader.close();
    assert.equal(footer?.reason, 'test');
    assert.equal(parseFrameIndex(footer?.frameIndex)?.size, 40_000);
    assert.ok(JSON.stringify(footer).length > 1024 * 1024, 'past the first step of the search');

    const killed = await mixedCapture('killed.hrcap');
    const { records } = await readBack(killed);
    truncateSync(killed, records.at(-1)!.offset);
    const again = await CaptureReader.open(killed);
    assert.equal(await again.footer(), undefined);
    await again.close();
  });

  it('a footer whose bytes were changed is not used (its checksum fails)', async () => {
    const path = await mixedCapture('changed-footer.hrcap');
    const bytes = readFileSync(path);
    const at = bytes.lastIndexOf('"reason":"test"');
    bytes[at + 11] = 'T'.charCodeAt(0);
    writeFileSync(path, bytes);
    const reader = await CaptureReader.open(path);
    assert.equal(await reader.footer(), undefined);
    await reader.close();
  });
});

describe('FrameIndexBuilder and parseFrameIndex', () => {
  it('past its bound the builder gives no index at all (never a partial one)', () => {
    const builder = new FrameIndexBuilder(2);
    builder.add(1, 100, 1, txn(1, 1, 1));
    builder.add(1, 200, 2, txn(1, 2, 2));
    assert.equal(parseFrameIndex(builder.toJSON())?.size, 2);
    builder.add(1, 300, 3, txn(1, 3, 3));
    builder.add(1, 400, 4, txn(1, 4, 4));
    assert.equal(builder.toJSON(), undefined);
  });

  it('an index this version cannot read is refused whole', () => {
    const good = new FrameIndexBuilder();
    good.add(1, 100, 1, txn(2, 1, 7));
    const json = good.toJSON()!;
    assert.equal(parseFrameIndex(json)?.get(100)?.tail, 7);
    const broken: unknown[] = [
      undefined,
      { ...json, version: 2 },
      { ...json, columns: [...json.columns].reverse() },
      { ...json, frames: [[1, 100, 5]] },
      { ...json, frames: [[1, 100, 5, 1, 2, 'x', null]] },
      { ...json, frames: [[1, 100, 5, 1, 2, 3, 'tail']] },
      { ...json, frames: 'none' },
    ];
    for (const candidate of broken)
      assert.equal(parseFrameIndex(candidate), undefined, JSON.stringify(candidate));
  });
});

describe('footerHeadIn', () => {
  it('the last footer head whose record ends at the end of the bytes, with a valid checksum', async () => {
    const path = await mixedCapture('heads.hrcap');
    const { records } = await readBack(path);
    const bytes = readFileSync(path);
    const footerAt = records.at(-1)!.offset;
    const valid = () => true;
    assert.equal(footerHeadIn(bytes, valid), footerAt);
    assert.equal(footerHeadIn(bytes.subarray(footerAt - 100), valid), 100);
    assert.equal(footerHeadIn(bytes.subarray(footerAt + 1), valid), undefined, 'the head is cut off');
    assert.equal(
      footerHeadIn(bytes.subarray(0, bytes.length - 1), valid),
      undefined,
      'the record does not end there',
    );
    assert.equal(
      footerHeadIn(bytes, () => false),
      undefined,
      'a head that fails its checksum is no footer',
    );
    assert.ok(footerAt > RECORD_HEAD_LENGTH);
  });
});
