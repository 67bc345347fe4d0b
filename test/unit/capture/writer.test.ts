/**
 * CaptureWriter checked against the bytes it puts on disk, decoded here by hand (no CaptureReader): the preamble at
 * create(), each record's head, payload and checksum, the footer at close(), the order of concurrent flushes, and a
 * flush timer that never keeps the process alive.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, statSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import {
  type CaptureFooter,
  Direction,
  type DirectionValue,
  encodePreamble,
  MAGIC,
  PREAMBLE_LENGTH,
  RECORD_HEAD_FIELDS,
  RECORD_HEAD_LENGTH,
  RecordKind,
  type RecordKindValue,
} from '../../../src/capture/format.js';
import { CaptureWriter } from '../../../src/capture/writer.js';
import { makeHeader, recordSize, tempDir } from './support.js';

const tmp = tempDir();
after(() => tmp.cleanup());

const FOOTER: Omit<CaptureFooter, 'messages'> = {
  endedAtMs: 1_700_000_000_500,
  structures: [{ connection: 1, tableId: 3, tableName: 'dog' }],
  reason: 'until-idle',
  sourceNodeName: 'node-a',
};

interface OnDisk {
  kind: RecordKindValue;
  direction: number;
  connection: number;
  timeUs: number;
  opcode: number;
  payload: Buffer;
  offset: number;
}

/** Where the records start: after the preamble, by the header length the preamble itself gives. */
const dataStart = (bytes: Buffer): number => PREAMBLE_LENGTH + bytes.readUInt32BE(MAGIC.length + 2) + 4;

/** Splits the records after the preamble, checking both checksums of each by hand. */
function recordsOnDisk(bytes: Buffer, start: number): OnDisk[] {
  const out: OnDisk[] = [];
  let at = start;
  while (at < bytes.length) {
    const head = bytes.subarray(at, at + RECORD_HEAD_LENGTH);
    assert.equal(head.length, RECORD_HEAD_LENGTH, `a whole head at ${at}`);
    assert.equal(
      crc32(head.subarray(0, RECORD_HEAD_FIELDS)),
      head.readUInt32BE(RECORD_HEAD_FIELDS),
      `head CRC at ${at}`,
    );
    const length = head.readUInt32BE(15);
    const payload = bytes.subarray(at + RECORD_HEAD_LENGTH, at + RECORD_HEAD_LENGTH + length);
    assert.equal(payload.length, length, `a whole payload at ${at}`);
    const crc = bytes.readUInt32BE(at + RECORD_HEAD_LENGTH + length);
    assert.equal(crc32(Buffer.concat([head, payload])), crc, `record CRC at ${at}`);
    out.push({
      kind: head[0] as RecordKindValue,
      direction: head[1]!,
      connection: head.readUInt32BE(2),
      timeUs: Number(head.readBigUInt64BE(6)),
      opcode: head[14]!,
      payload: Buffer.from(payload),
      offset: at,
    });
    at += recordSize(length);
  }
  return out;
}

describe('CaptureWriter.create', () => {
  it('writes the preamble at once, byte for byte, and counts it', async () => {
    const header = makeHeader({ mode: 'proxy' });
    const path = tmp.path('create.hrcap');
    const writer = await CaptureWriter.create(path, header);
    try {
      const bytes = readFileSync(path);
      assert.ok(bytes.equals(encodePreamble(header)), 'exactly the preamble, before any flush');
      assert.equal(writer.bytesWritten, bytes.length);
      assert.equal(writer.messages, 0);
      assert.equal(writer.startedAtMs, header.startedAtMs);
      assert.equal(writer.path, path);
    } finally {
      await writer.close(FOOTER);
    }
  });

  it('fails in a directory that does not exist', async () => {
    await assert.rejects(CaptureWriter.create(tmp.path('no/such/dir/x.hrcap'), makeHeader()), {
      code: 'ENOENT',
    });
  });
});

describe('CaptureWriter records', () => {
  it('each message, event and the footer land as head, payload and checksum, in call order', async () => {
    const header = makeHeader({ startedAtMs: Date.now() - 2000 });
    const path = tmp.path('records.hrcap');
    const writer = await CaptureWriter.create(path, header);
    const openInfo = { role: 'proxy', url: 'wss://h/', subprotocol: 'harperdb-replication-v1' };
    writer.event(RecordKind.OPEN, 5, openInfo);
    writer.message(Direction.FROM_SOURCE, 5, Buffer.from([0x92, 0xcc, 0x90, 0x01]), 2, 1234);
    writer.message(Direction.TO_SOURCE, 5, Buffer.from('text'), 1, 2345);
    writer.message(Direction.TO_SOURCE, 6, new Uint8Array([7, 7]));
    writer.event(RecordKind.CLOSE, 5, { code: 1000, reason: 'bye' });
    assert.equal(writer.messages, 3, 'events are not messages');
    const beforeClose = writer.now();
    await writer.close(FOOTER);

    const bytes = readFileSync(path);
    const start = encodePreamble(header).length;
    assert.ok(bytes.subarray(0, start).equals(encodePreamble(header)));
    const records = recordsOnDisk(bytes, start);
    const json = (r: OnDisk) => JSON.parse(r.payload.toString('utf8')) as unknown;
    assert.deepEqual(
      records.map((r) => [r.kind, r.direction, r.connection, r.opcode]),
      [
        [RecordKind.OPEN, Direction.FROM_SOURCE, 5, 0],
        [RecordKind.MESSAGE, Direction.FROM_SOURCE, 5, 2],
        [RecordKind.MESSAGE, Direction.TO_SOURCE, 5, 1],
        [RecordKind.MESSAGE, Direction.TO_SOURCE, 6, 2],
        [RecordKind.CLOSE, Direction.FROM_SOURCE, 5, 0],
        [RecordKind.FOOTER, Direction.FROM_SOURCE, 0, 0],
      ],
    );
    assert.deepEqual(json(records[0]!), openInfo);
    assert.equal(records[1]!.payload.toString('hex'), '92cc9001');
    assert.equal(records[1]!.timeUs, 1234, 'an explicit time is kept');
    assert.equal(records[2]!.payload.toString(), 'text');
    assert.equal(records[2]!.timeUs, 2345);
    assert.deepEqual([...records[3]!.payload], [7, 7]);
    assert.deepEqual(json(records[4]!), { code: 1000, reason: 'bye' });
    // The one message from the source is a control frame: the footer's frame index lists no frame.
    assert.deepEqual(json(records[5]!), {
      ...FOOTER,
      messages: 3,
      frameIndex: {
        version: 1,
        columns: ['connection', 'offset', 'length', 'timeUs', 'entries', 'txnTime', 'tail'],
        frames: [],
      },
    });
    // Default times are µs since startedAtMs: about 2 s into this capture.
    for (const r of [records[0]!, records[3]!, records[4]!, records[5]!]) {
      assert.ok(r.timeUs >= 2_000_000 && r.timeUs < 2_000_000 + 30_000_000, `${r.timeUs} µs`);
    }
    assert.ok(records[5]!.timeUs >= Math.floor(beforeClose), 'the footer is stamped at close');
    assert.equal(writer.bytesWritten, bytes.length);
  });

  it('close() is final: it writes one footer, a second close adds nothing, records afterwards throw', async () => {
    const path = tmp.path('final.hrcap');
    const header = makeHeader();
    const writer = await CaptureWriter.create(path, header);
    writer.message(Direction.FROM_SOURCE, 1, Buffer.from('x'));
    await writer.close(FOOTER);
    const size = statSync(path).size;
    await writer.close({ ...FOOTER, reason: 'again' });
    assert.equal(statSync(path).size, size);
    assert.throws(
      () => writer.message(Direction.FROM_SOURCE, 1, Buffer.from('late')),
      /capture writer is closed/,
    );
    assert.throws(() => writer.event(RecordKind.CLOSE, 1, {}), /capture writer is closed/);
    const records = recordsOnDisk(readFileSync(path), encodePreamble(header).length);
    assert.equal(records.filter((r) => r.kind === RecordKind.FOOTER).length, 1);
    assert.equal(JSON.parse(records.at(-1)!.payload.toString()).reason, 'until-idle');
  });

  it('overlapping flushes write in call order; each resolves once everything buffered before it is on disk', async () => {
    const header = makeHeader();
    const path = tmp.path('order.hrcap');
    const writer = await CaptureWriter.create(path, header, { flushIntervalMs: 60_000 });
    const preamble = encodePreamble(header).length;
    const flushes: Array<Promise<void>> = [];
    const written: number[] = [];
    for (let i = 0; i < 20; i++) {
      writer.message((i % 2) as DirectionValue, 1 + (i % 3), Buffer.alloc(i * 97, i));
      const index = i;
      flushes.push(
        writer.flush().then(() => {
          written[index] = writer.bytesWritten;
        }),
      );
      // Let some writes start before the next records are buffered, so flushes overlap with writes in flight.
      if (i % 3 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(flushes);
    let total = preamble;
    for (let i = 0; i < 20; i++) {
      total += recordSize(i * 97);
      assert.ok(written[i]! >= total, `flush ${i} resolved with ${written[i]} B written, needs ${total}`);
      if (i > 0) assert.ok(written[i]! >= written[i - 1]!, 'flushes resolve in order');
    }
    assert.equal(writer.bytesWritten, total);
    await writer.close(FOOTER);
    const records = recordsOnDisk(readFileSync(path), preamble);
    assert.deepEqual(
      records.slice(0, 20).map((r) => [r.payload.length, r.payload[0] ?? null, r.connection, r.direction]),
      Array.from({ length: 20 }, (_, i) => [i * 97, i === 0 ? null : i, 1 + (i % 3), i % 2]),
    );
  });

  it('a flush with nothing buffered writes nothing', async () => {
    const path = tmp.path('noop.hrcap');
    const writer = await CaptureWriter.create(path, makeHeader());
    const size = statSync(path).size;
    await writer.flush();
    await writer.flush();
    assert.equal(statSync(path).size, size);
    assert.equal(writer.bytesWritten, size);
    await writer.close(FOOTER);
  });
});

describe('CaptureWriter flush timer', () => {
  it('does not keep the process alive: a script that never closes its writer exits on its own', async () => {
    const writerModule = fileURLToPath(new URL('../../../src/capture/writer.js', import.meta.url));
    const path = tmp.path('unref.hrcap');
    const script = `
      const { CaptureWriter } = await import(${JSON.stringify(writerModule)});
      const writer = await CaptureWriter.create(${JSON.stringify(path)}, { tool: 'harper-replay', startedAtMs: Date.now() }, { flushIntervalMs: 50 });
      writer.message(0, 1, Buffer.from('kept by the timer'));
      setTimeout(() => console.log('done'), 200);
    `;
    const started = Date.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const timer = setTimeout(() => child.kill(), 4000);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearTimeout(timer);
    assert.equal(code, 0, `exited by itself (${Date.now() - started} ms): ${output}`);
    assert.equal(output.trim(), 'done');
    // The 50 ms timer flushed the message before the script ended, without any flush() call.
    const bytes = readFileSync(path);
    const records = recordsOnDisk(bytes, dataStart(bytes));
    assert.equal(records.length, 1);
    assert.equal(records[0]!.payload.toString(), 'kept by the timer');
  });
});
