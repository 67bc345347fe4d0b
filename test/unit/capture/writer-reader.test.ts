import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { after, describe, it } from 'node:test';
import {
  type CaptureFooter,
  Direction,
  type DirectionValue,
  encodePreamble,
  RecordKind,
  type RecordKindValue,
} from '../../../src/capture/format.js';
import { parseFrameIndex } from '../../../src/capture/frame-index.js';
import { CaptureReader } from '../../../src/capture/reader.js';
import { CaptureWriter } from '../../../src/capture/writer.js';
import { randomBytes, seeded } from '../support.js';
import { makeHeader, readAll, recordSize, sleep, tempDir } from './support.js';

const tmp = tempDir();
after(() => tmp.cleanup());

interface Expected {
  kind: RecordKindValue;
  direction: DirectionValue;
  connection: number;
  opcode: number;
  payload: Buffer;
}

const FOOTER = { endedAtMs: 1_700_000_000_000, structures: [], reason: 'test' };

describe('CaptureWriter → CaptureReader round trip', () => {
  it('small payloads packed into the write slab and large ones written from their own buffers read back in order', async () => {
    const path = tmp.path('slabs.hrcap');
    const writer = await CaptureWriter.create(path, makeHeader());
    const random = seeded(0x51ab);
    // Sizes around the small-payload bound (16 KiB) and enough records to fill several 256 KiB slabs.
    const sizes = Array.from({ length: 600 }, (_, i) =>
      i % 7 === 0 ? 16 * 1024 + (i % 3) - 1 : Math.floor(random() * 9000),
    );
    const payloads = sizes.map((size) => randomBytes(random, size));
    for (const [i, payload] of payloads.entries()) {
      writer.message(Direction.FROM_SOURCE, 1, payload);
      if (i % 97 === 0) await writer.flush();
    }
    await writer.close(FOOTER);
    assert.equal(writer.bytesWritten, statSync(path).size);
    const result = await readAll(path);
    assert.equal(result.error, undefined);
    assert.equal(result.records.length, payloads.length + 1);
    for (const [i, payload] of payloads.entries())
      assert.ok(result.records[i]!.payload.equals(payload), `record ${i} (${payload.length} B)`);
  });

  it('reads back the header and every record, in order, with a parsed footer', async () => {
    const path = tmp.path('roundtrip.hrcap');
    const header = makeHeader();
    const writer = await CaptureWriter.create(path, header);
    const random = seeded(0xc0ffee);
    const expected: Expected[] = [];
    const open = (connection: number) => {
      const info = { role: 'proxy', url: `wss://host/${connection}`, remoteAddress: '127.0.0.1' };
      writer.event(RecordKind.OPEN, connection, info);
      expected.push({
        kind: RecordKind.OPEN,
        direction: Direction.FROM_SOURCE,
        connection,
        opcode: 0,
        payload: Buffer.from(JSON.stringify(info)),
      });
    };
    for (const connection of [1, 2, 3]) open(connection);
    const sizes = [0, 1, 70 * 1024, 3 * 1024 * 1024, 0, 1, 2, 17, 255, 4096, 65_535, 65_536, 70 * 1024, 1];
    let messages = 0;
    for (let round = 0; round < 2; round++) {
      for (const [i, size] of sizes.entries()) {
        const direction = (i + round) % 2 === 0 ? Direction.FROM_SOURCE : Direction.TO_SOURCE;
        const connection = 1 + ((i + round) % 3);
        const opcode = i % 5 === 4 ? 1 : 2;
        const payload = randomBytes(random, size);
        writer.message(direction, connection, payload, opcode);
        messages++;
        expected.push({ kind: RecordKind.MESSAGE, direction, connection, opcode, payload });
        if (i === 5) await writer.flush();
      }
    }
    for (const connection of [2, 1, 3]) {
      const info = { code: 1000 + connection, reason: `bye ${connection}` };
      writer.event(RecordKind.CLOSE, connection, info);
      expected.push({
        kind: RecordKind.CLOSE,
        direction: Direction.FROM_SOURCE,
        connection,
        opcode: 0,
        payload: Buffer.from(JSON.stringify(info)),
      });
    }
    assert.equal(writer.messages, messages);
    await writer.close(FOOTER);
    await writer.close(FOOTER); // safe to call twice: no second footer
    assert.throws(() => writer.message(Direction.FROM_SOURCE, 1, Buffer.from('late')), /closed/);

    const size = statSync(path).size;
    assert.equal(writer.bytesWritten, size);
    const payloadBytes = expected.reduce((sum, e) => sum + recordSize(e.payload.length), 0);
    const footerRecord = (await readAll(path)).records.at(-1)!;
    assert.equal(
      size,
      encodePreamble(header).length + payloadBytes + recordSize(footerRecord.payload.length),
    );

    const result = await readAll(path);
    assert.equal(result.error, undefined);
    assert.deepEqual(result.header, header);
    assert.equal(result.records.length, expected.length + 1);
    let previousTime = 0;
    let offset = encodePreamble(header).length;
    for (const [i, want] of expected.entries()) {
      const got = result.records[i]!;
      const what = `record ${i}`;
      assert.equal(got.kind, want.kind, what);
      assert.equal(got.direction, want.direction, what);
      assert.equal(got.connection, want.connection, what);
      assert.equal(got.opcode, want.opcode, what);
      assert.equal(got.payload.length, want.payload.length, what);
      assert.ok(got.payload.equals(want.payload), `${what} payload`);
      assert.equal(got.offset, offset, `${what} offset`);
      assert.ok(got.timeUs >= previousTime, `${what} time ${got.timeUs} ≥ ${previousTime}`);
      previousTime = got.timeUs;
      offset += recordSize(want.payload.length);
    }
    const footer = result.records.at(-1)!;
    assert.equal(footer.kind, RecordKind.FOOTER);
    assert.equal(footer.connection, 0);
    assert.equal(footer.opcode, 0);
    assert.ok(footer.timeUs >= previousTime);
    const { frameIndex, ...parsed } = JSON.parse(footer.payload.toString('utf8')) as CaptureFooter & {
      frameIndex: unknown;
    };
    assert.deepEqual(parsed, { ...FOOTER, messages });
    // Random payloads are no transaction frames: the index lists none (frame-index.test.ts covers real ones).
    assert.deepEqual(parseFrameIndex(frameIndex), new Map());
    assert.equal(result.status?.truncated, false);
    assert.equal(result.status?.truncatedAt, undefined);
    assert.equal(result.status?.records, expected.length + 1);
    assert.equal(result.status?.bytesRead, size);
  });

  it('times: explicit timeUs is kept; default times are µs since startedAtMs', async () => {
    const path = tmp.path('times.hrcap');
    const startedAtMs = Date.now() - 5000;
    const writer = await CaptureWriter.create(path, makeHeader({ startedAtMs }));
    const before = writer.now();
    assert.ok(before >= 5000 * 1000 && before < 60_000 * 1000, `now() ${before}`);
    writer.message(Direction.FROM_SOURCE, 1, Buffer.from([1]), 2, 123_456);
    writer.message(Direction.FROM_SOURCE, 1, Buffer.from([2]), 2, 2 ** 45);
    writer.message(Direction.FROM_SOURCE, 1, Buffer.from([3]));
    await writer.close(FOOTER);
    const { records } = await readAll(path);
    assert.equal(records[0]!.timeUs, 123_456);
    assert.equal(records[1]!.timeUs, 2 ** 45);
    assert.ok(records[2]!.timeUs >= Math.floor(before), `${records[2]!.timeUs} ≥ ${before}`);
    assert.ok(records[2]!.timeUs < before + 60_000_000);
  });

  it('writes views into larger buffers and plain Uint8Arrays exactly', async () => {
    const path = tmp.path('views.hrcap');
    const writer = await CaptureWriter.create(path, makeHeader());
    const big = Buffer.from('0123456789abcdef');
    writer.message(Direction.FROM_SOURCE, 1, big.subarray(3, 9));
    const backing = new Uint8Array([9, 8, 7, 6, 5, 4]);
    writer.message(Direction.TO_SOURCE, 7, new Uint8Array(backing.buffer, 2, 3));
    writer.message(Direction.TO_SOURCE, 0xffffffff, new Uint8Array(0), 1);
    await writer.close(FOOTER);
    const { records, error } = await readAll(path);
    assert.equal(error, undefined);
    assert.equal(records[0]!.payload.toString(), '345678');
    assert.deepEqual([...records[1]!.payload], [7, 6, 5]);
    assert.equal(records[1]!.connection, 7);
    assert.equal(records[2]!.connection, 0xffffffff);
    assert.equal(records[2]!.payload.length, 0);
    assert.equal(records[2]!.opcode, 1);
  });

  it('never overwrites an existing file', async () => {
    const path = tmp.path('exists.hrcap');
    writeFileSync(path, 'precious');
    await assert.rejects(CaptureWriter.create(path, makeHeader()), { code: 'EEXIST' });
    assert.equal(readFileSync(path, 'utf8'), 'precious');
  });

  it('a capture with no records reads as zero records, not truncated', async () => {
    const path = tmp.path('empty.hrcap');
    const header = makeHeader({ mode: 'proxy' });
    const writer = await CaptureWriter.create(path, header);
    // Not closed: the preamble alone is on disk after create().
    assert.equal(statSync(path).size, encodePreamble(header).length);
    const result = await readAll(path);
    assert.equal(result.error, undefined);
    assert.deepEqual(result.header, header);
    assert.deepEqual(result.records, []);
    assert.equal(result.status?.truncated, false);
    assert.equal(result.status?.records, 0);
    await writer.close(FOOTER);
  });
});

describe('CaptureWriter flushing', () => {
  it('flushes on its interval: a reader sees the records before close()', async () => {
    const path = tmp.path('interval.hrcap');
    const header = makeHeader();
    const writer = await CaptureWriter.create(path, header, { flushIntervalMs: 50 });
    const payloads = [Buffer.from('first'), Buffer.alloc(1000, 7), Buffer.alloc(0)];
    for (const [i, payload] of payloads.entries()) writer.message((i % 2) as DirectionValue, 1 + i, payload);
    // Nothing forced a flush: only the timer can have written the records.
    assert.equal(statSync(path).size, encodePreamble(header).length);
    await sleep(150);
    const expectedSize =
      encodePreamble(header).length + payloads.reduce((s, p) => s + recordSize(p.length), 0);
    assert.equal(statSync(path).size, expectedSize);
    const result = await readAll(path);
    assert.equal(result.error, undefined);
    assert.equal(result.records.length, 3);
    for (const [i, payload] of payloads.entries()) {
      assert.ok(result.records[i]!.payload.equals(payload));
      assert.equal(result.records[i]!.connection, 1 + i);
      assert.equal(result.records[i]!.direction, i % 2);
    }
    assert.ok(!result.records.some((r) => r.kind === RecordKind.FOOTER), 'no footer yet');
    // The file ends exactly at a record boundary: not torn.
    assert.equal(result.status?.truncated, false);
    assert.equal(result.status?.records, 3);
    assert.equal(result.status?.bytesRead, expectedSize);

    writer.message(Direction.FROM_SOURCE, 1, Buffer.from('second batch'));
    await sleep(150);
    const again = await readAll(path);
    assert.equal(again.records.length, 4);
    assert.equal(again.records[3]!.payload.toString(), 'second batch');
    await writer.close(FOOTER);
    const final = await readAll(path);
    assert.equal(final.records.length, 5);
    assert.equal(final.records[4]!.kind, RecordKind.FOOTER);
  });

  it('a reader opened mid-capture reads up to the size it saw at open', async () => {
    const path = tmp.path('live.hrcap');
    const writer = await CaptureWriter.create(path, makeHeader(), { flushIntervalMs: 50 });
    writer.message(Direction.FROM_SOURCE, 1, Buffer.from('a'));
    await writer.flush();
    const reader = await CaptureReader.open(path);
    writer.message(Direction.FROM_SOURCE, 1, Buffer.from('b'));
    await writer.flush();
    const seen = [];
    for await (const record of reader.records()) seen.push(record.payload.toString());
    await reader.close();
    assert.deepEqual(seen, ['a']);
    assert.equal(reader.status.truncated, false);
    await writer.close(FOOTER);
  });

  it('full turns true past maxBufferBytes and drained() resolves once it is written', async () => {
    const path = tmp.path('full.hrcap');
    const header = makeHeader();
    const writer = await CaptureWriter.create(path, header, {
      flushIntervalMs: 60_000,
      maxBufferBytes: 1024,
    });
    assert.equal(writer.full, false);
    await writer.drained(); // resolves at once when not full
    writer.message(Direction.FROM_SOURCE, 1, Buffer.alloc(100, 1));
    assert.equal(writer.full, false, '123 B buffered < 1024');
    writer.message(Direction.FROM_SOURCE, 1, Buffer.alloc(4000, 2));
    assert.equal(writer.full, true);
    await writer.drained();
    assert.equal(writer.full, false);
    const expectedSize = encodePreamble(header).length + recordSize(100) + recordSize(4000);
    assert.equal(statSync(path).size, expectedSize);
    assert.equal(writer.bytesWritten, expectedSize);
    const result = await readAll(path);
    assert.equal(result.records.length, 2);
    assert.ok(result.records[1]!.payload.equals(Buffer.alloc(4000, 2)));
    assert.equal(result.status?.truncated, false);

    // Many small records: full is reported as soon as the bound is passed, drained() empties the buffer.
    let sawFull = false;
    for (let i = 0; i < 200; i++) {
      writer.message(Direction.TO_SOURCE, 2, Buffer.alloc(i % 50, i));
      if (writer.full) {
        sawFull = true;
        await writer.drained();
        assert.equal(writer.full, false);
      }
    }
    assert.ok(sawFull);
    await writer.close(FOOTER);
    const final = await readAll(path);
    assert.equal(final.error, undefined);
    assert.equal(final.records.length, 2 + 200 + 1);
    for (let i = 0; i < 200; i++) assert.ok(final.records[2 + i]!.payload.equals(Buffer.alloc(i % 50, i)));
  });

  it('a write failure rejects flush() and close() and raises no unhandled rejection', async () => {
    const path = tmp.path('failure.hrcap');
    const writer = await CaptureWriter.create(path, makeHeader(), {
      flushIntervalMs: 10,
      maxBufferBytes: 64,
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      // Simulate the disk going away: close the descriptor under the writer.
      await (writer as unknown as { file: FileHandle }).file.close();
      writer.message(Direction.FROM_SOURCE, 1, Buffer.alloc(10));
      await assert.rejects(writer.flush(), /cannot write/);
      // The buffer-full path and the interval timer flush in the background as well.
      writer.message(Direction.FROM_SOURCE, 1, Buffer.alloc(100));
      await sleep(100);
      await assert.rejects(writer.close(FOOTER));
      await sleep(20);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    assert.deepEqual(
      unhandled.map((e) => (e as Error).message),
      [],
      'background flushes must not leave rejected promises unhandled',
    );
  });
});

describe('CaptureReader status', () => {
  it('iterating records() twice gives the same records and a status of one pass', async () => {
    const path = tmp.path('twice.hrcap');
    const writer = await CaptureWriter.create(path, makeHeader());
    for (let i = 0; i < 5; i++) writer.message(Direction.FROM_SOURCE, 1, Buffer.from([i]));
    await writer.close(FOOTER);
    const reader = await CaptureReader.open(path);
    try {
      const first = [];
      for await (const record of reader.records()) first.push(record.payload.toString('hex'));
      assert.equal(reader.status.records, 6);
      const second = [];
      for await (const record of reader.records()) second.push(record.payload.toString('hex'));
      assert.deepEqual(second, first);
      assert.equal(reader.status.records, 6, 'records counts the records of the file, not of all passes');
      assert.equal(reader.status.bytesRead, reader.size);
    } finally {
      await reader.close();
    }
  });
});
