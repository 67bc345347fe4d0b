/**
 * CaptureReader on files built byte by byte from the format's encoders (no CaptureWriter involved): what it yields,
 * what it salvages from a torn file, and which error, at which offset, each kind of damage gives.
 */
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import {
  type CaptureHeader,
  Direction,
  type DirectionValue,
  encodePreamble,
  encodeRecordHead,
  MAGIC,
  MAX_HEADER_LENGTH,
  PREAMBLE_LENGTH,
  RECORD_HEAD_FIELDS,
  RECORD_HEAD_LENGTH,
  RecordKind,
  type RecordKindValue,
} from '../../../src/capture/format.js';
import { CaptureReader, checkCapture } from '../../../src/capture/reader.js';
import { ExitCode, HarperReplayError } from '../../../src/common/errors.js';
import { assertFormatError, makeHeader, readAll, recordSize, tempDir } from './support.js';

const tmp = tempDir();
after(() => tmp.cleanup());

interface Spec {
  kind?: RecordKindValue;
  direction?: DirectionValue;
  connection?: number;
  timeUs?: number;
  opcode?: number;
  payload: Buffer;
}

/** One record as the format defines it: head (fields + their CRC), payload, CRC-32 of head and payload. */
function encodeRecord(spec: Spec): Buffer {
  const kind = spec.kind ?? RecordKind.MESSAGE;
  const head = encodeRecordHead(
    kind,
    spec.direction ?? Direction.FROM_SOURCE,
    spec.connection ?? 1,
    spec.timeUs ?? 0,
    spec.opcode ?? (kind === RecordKind.MESSAGE ? 2 : 0),
    spec.payload.length,
  );
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(spec.payload, crc32(head)));
  return Buffer.concat([head, spec.payload, crc]);
}

/** A preamble with any field values (for the damage the encoder would refuse to produce). */
function rawPreamble(
  json: Buffer,
  options: { version?: number; length?: number; crc?: number } = {},
): Buffer {
  const out = Buffer.alloc(PREAMBLE_LENGTH + json.length + 4);
  MAGIC.copy(out);
  out.writeUInt16BE(options.version ?? 1, MAGIC.length);
  out.writeUInt32BE(options.length ?? json.length, MAGIC.length + 2);
  json.copy(out, PREAMBLE_LENGTH);
  out.writeUInt32BE(options.crc ?? crc32(json), PREAMBLE_LENGTH + json.length);
  return out;
}

/** The head of a record with one field changed and its own checksum recomputed (a buggy, not a damaged, writer). */
function withField(record: Buffer, change: (head: Buffer) => void): Buffer {
  const out = Buffer.from(record);
  change(out);
  out.writeUInt32BE(crc32(out.subarray(0, RECORD_HEAD_FIELDS)), RECORD_HEAD_FIELDS);
  return out;
}

function file(name: string, ...parts: Buffer[]): string {
  const path = tmp.path(name);
  writeFileSync(path, Buffer.concat(parts));
  return path;
}

const HEADER: CaptureHeader = makeHeader({ startedAtMs: 1_700_000_000_000 });
const PREAMBLE = encodePreamble(HEADER);
const SPECS: Spec[] = [
  { kind: RecordKind.OPEN, connection: 1, payload: Buffer.from('{"role":"proxy"}') },
  {
    direction: Direction.FROM_SOURCE,
    connection: 1,
    timeUs: 10,
    payload: Buffer.from([0x92, 0xcc, 0x90, 0x01]),
  },
  {
    direction: Direction.TO_SOURCE,
    connection: 1,
    timeUs: 2 ** 53 - 1,
    opcode: 1,
    payload: Buffer.from('text'),
  },
  { direction: Direction.TO_SOURCE, connection: 0xffffffff, timeUs: 30, payload: Buffer.alloc(0) },
  { direction: Direction.FROM_SOURCE, connection: 2, timeUs: 40, payload: Buffer.alloc(70_000, 0x5a) },
  { kind: RecordKind.CLOSE, connection: 1, timeUs: 50, payload: Buffer.from('{"code":1000}') },
];
const RECORDS = SPECS.map(encodeRecord);
const FOOTER = encodeRecord({
  kind: RecordKind.FOOTER,
  connection: 0,
  timeUs: 60,
  payload: Buffer.from('{}'),
});
const OFFSETS = RECORDS.reduce<number[]>((offsets, _record, i) => {
  offsets.push(i === 0 ? PREAMBLE.length : offsets[i - 1]! + RECORDS[i - 1]!.length);
  return offsets;
}, []);

describe('CaptureReader.open', () => {
  it('reads the header of a capture, unknown fields included', async () => {
    const reader = await CaptureReader.open(file('header.hrcap', PREAMBLE));
    try {
      assert.deepEqual(reader.header, HEADER);
      assert.equal(reader.size, PREAMBLE.length);
    } finally {
      await reader.close();
    }
  });

  it('accepts the smallest header (only the tool name)', async () => {
    const result = await readAll(
      file('minimal.hrcap', rawPreamble(Buffer.from('{"tool":"harper-replay"}')), RECORDS[1]!),
    );
    assert.equal(result.error, undefined);
    assert.deepEqual(result.header, { tool: 'harper-replay' });
    assert.equal(result.records.length, 1);
  });

  it('refuses what is not a readable capture, naming the problem and its byte offset', async () => {
    const json = Buffer.from(JSON.stringify(HEADER));
    const notHeader = (text: string) => rawPreamble(Buffer.from(text));
    const cases: Array<{ name: string; bytes: Buffer; message: RegExp; offset: number }> = [
      { name: 'empty file', bytes: Buffer.alloc(0), message: /wrong magic/, offset: 0 },
      { name: 'part of the magic', bytes: MAGIC.subarray(0, 5), message: /wrong magic/, offset: 0 },
      {
        name: 'another format',
        bytes: Buffer.from('\x89PNG\r\n\x1a\n0000000000'),
        message: /wrong magic/,
        offset: 0,
      },
      {
        name: 'text-mode transfer (CRLF → LF)',
        bytes: Buffer.from(PREAMBLE.toString('latin1').replace('\r\n', '\n'), 'latin1'),
        message: /wrong magic/,
        offset: 0,
      },
      { name: 'magic only', bytes: MAGIC, message: /ends inside the preamble/, offset: 8 },
      {
        name: 'magic and version',
        bytes: PREAMBLE.subarray(0, 10),
        message: /ends inside the preamble/,
        offset: 10,
      },
      {
        name: 'version 2',
        bytes: rawPreamble(json, { version: 2 }),
        message: /format version 2; this tool reads version 1/,
        offset: 8,
      },
      { name: 'version 0', bytes: rawPreamble(json, { version: 0 }), message: /format version 0/, offset: 8 },
      {
        name: 'header length over 16 MiB',
        bytes: rawPreamble(json, { length: MAX_HEADER_LENGTH + 1 }),
        message: new RegExp(`header length ${MAX_HEADER_LENGTH + 1} exceeds ${MAX_HEADER_LENGTH}`),
        offset: 10,
      },
      {
        name: 'header length past the end',
        bytes: rawPreamble(json, { length: json.length + 1 }),
        message: /runs past the end of the file/,
        offset: PREAMBLE_LENGTH,
      },
      {
        name: 'header without its checksum',
        bytes: PREAMBLE.subarray(0, PREAMBLE.length - 1),
        message: /runs past the end of the file/,
        offset: PREAMBLE_LENGTH,
      },
      {
        name: 'header checksum wrong',
        bytes: rawPreamble(json, { crc: (crc32(json) ^ 1) >>> 0 }),
        message: /header checksum mismatch/,
        offset: PREAMBLE_LENGTH + json.length,
      },
      {
        name: 'header not JSON',
        bytes: notHeader('{"tool":'),
        message: /header is not JSON/,
        offset: PREAMBLE_LENGTH,
      },
      {
        name: 'header null',
        bytes: notHeader('null'),
        message: /not a harper-replay capture header/,
        offset: PREAMBLE_LENGTH,
      },
      {
        name: 'header a number',
        bytes: notHeader('42'),
        message: /not a harper-replay capture header/,
        offset: PREAMBLE_LENGTH,
      },
      {
        name: 'header a list',
        bytes: notHeader('[]'),
        message: /not a harper-replay capture header/,
        offset: PREAMBLE_LENGTH,
      },
      {
        name: 'header a string',
        bytes: notHeader('"harper-replay"'),
        message: /not a harper-replay capture header/,
        offset: PREAMBLE_LENGTH,
      },
      {
        name: 'another tool',
        bytes: notHeader('{"tool":"other"}'),
        message: /not a harper-replay capture header/,
        offset: PREAMBLE_LENGTH,
      },
      {
        name: 'no tool',
        bytes: notHeader('{}'),
        message: /not a harper-replay capture header/,
        offset: PREAMBLE_LENGTH,
      },
    ];
    for (const c of cases) {
      const result = await readAll(file('bad.hrcap', c.bytes));
      const error = assertFormatError(result.error, c.name);
      assert.match(error.message, c.message, c.name);
      assert.equal(error.offset, c.offset, `${c.name}: ${error.message}`);
      assert.equal(result.header, undefined, c.name);
    }
  });

  it('a failed open leaves no file descriptor behind', async () => {
    const path = file('leak.hrcap', rawPreamble(Buffer.from('{}')));
    const before = readdirSync('/proc/self/fd').length;
    for (let i = 0; i < 50; i++)
      await assert.rejects(CaptureReader.open(path), { name: 'CaptureFormatError' });
    assert.equal(readdirSync('/proc/self/fd').length, before);
  });

  it('a missing file is the file system’s error, not a format error', async () => {
    await assert.rejects(CaptureReader.open(tmp.path('missing.hrcap')), { code: 'ENOENT' });
  });
});

describe('CaptureReader.records', () => {
  it('yields every record with its fields and offset; a footer last marks the capture complete', async () => {
    const path = file('whole.hrcap', PREAMBLE, ...RECORDS, FOOTER);
    const result = await readAll(path);
    assert.equal(result.error, undefined);
    assert.equal(result.records.length, SPECS.length + 1);
    for (const [i, spec] of SPECS.entries()) {
      const got = result.records[i]!;
      const kind = spec.kind ?? RecordKind.MESSAGE;
      assert.deepEqual(
        { ...got, payload: got.payload.toString('hex') },
        {
          kind,
          direction: spec.direction ?? Direction.FROM_SOURCE,
          connection: spec.connection ?? 1,
          timeUs: spec.timeUs ?? 0,
          opcode: spec.opcode ?? (kind === RecordKind.MESSAGE ? 2 : 0),
          payload: spec.payload.toString('hex'),
          offset: OFFSETS[i],
        },
        `record ${i}`,
      );
    }
    assert.equal(result.records.at(-1)!.kind, RecordKind.FOOTER);
    const size = PREAMBLE.length + RECORDS.reduce((sum, r) => sum + r.length, 0) + FOOTER.length;
    assert.deepEqual(result.status, {
      truncated: false,
      complete: true,
      truncatedAt: undefined,
      bytesRead: size,
      records: 7,
    });
  });

  it('without a footer the capture reads in full but is not complete', async () => {
    const result = await readAll(file('nofooter.hrcap', PREAMBLE, ...RECORDS));
    assert.equal(result.error, undefined);
    assert.equal(result.records.length, SPECS.length);
    assert.equal(result.status?.complete, false);
    assert.equal(result.status?.truncated, false);
  });

  it('a footer whose checksum fails does not make the capture complete', async () => {
    const damaged = Buffer.from(FOOTER);
    damaged[damaged.length - 1]! ^= 0x01;
    for (const borrow of [false, true]) {
      const result = await readAll(file('bad-footer.hrcap', PREAMBLE, ...RECORDS, damaged), { borrow });
      assert.equal((result.error as Error | undefined)?.name, 'CaptureFormatError', String(result.error));
      assert.equal(result.status?.complete, false, `borrow ${borrow}`);
    }
  });

  it('payloads stay valid after the iteration has moved on (no shared read buffer)', async () => {
    const reader = await CaptureReader.open(file('views.hrcap', PREAMBLE, ...RECORDS));
    const payloads: Buffer[] = [];
    try {
      for await (const record of reader.records()) payloads.push(record.payload);
    } finally {
      await reader.close();
    }
    assert.deepEqual(
      payloads.map((p) => p.toString('hex')),
      SPECS.map((s) => s.payload.toString('hex')),
    );
  });

  it('stopping early and iterating again starts over from the first record', async () => {
    const reader = await CaptureReader.open(file('again.hrcap', PREAMBLE, ...RECORDS));
    try {
      for await (const record of reader.records()) {
        assert.equal(record.offset, OFFSETS[0]);
        break;
      }
      const offsets = [];
      for await (const record of reader.records()) offsets.push(record.offset);
      assert.deepEqual(offsets, OFFSETS);
      assert.equal(reader.status.records, RECORDS.length);
    } finally {
      await reader.close();
    }
  });

  it('salvages a torn file: every whole record, then truncated at the torn one', async () => {
    const torn = RECORDS[4]!;
    const cuts = [
      1,
      RECORD_HEAD_LENGTH - 1,
      RECORD_HEAD_LENGTH,
      RECORD_HEAD_LENGTH + 1,
      torn.length - 4,
      torn.length - 1,
    ];
    for (const cut of cuts) {
      const result = await readAll(
        file('torn.hrcap', PREAMBLE, ...RECORDS.slice(0, 4), torn.subarray(0, cut)),
      );
      const what = `torn after ${cut} of ${torn.length} bytes`;
      assert.equal(result.error, undefined, what);
      assert.equal(result.records.length, 4, what);
      assert.deepEqual(result.status, {
        truncated: true,
        complete: false,
        truncatedAt: OFFSETS[4],
        bytesRead: OFFSETS[4],
        records: 4,
      });
    }
  });

  it('a file that grows, shrinks or is rewritten while read is a bad-input error, never a silent misread', async () => {
    const changes: Array<[string, (path: string) => void]> = [
      ['grows although finished (a footer)', (path) => appendFileSync(path, RECORDS[0]!)],
      ['is truncated', (path) => truncateSync(path, OFFSETS[5]! + 3)],
      [
        'is rewritten in place, same size',
        (path) => {
          // Another modification time: a rewrite of the same length is a change too.
          const later = new Date(Date.now() + 5_000);
          utimesSync(path, later, later);
        },
      ],
    ];
    for (const [what, change] of changes) {
      const path = file('changing.hrcap', PREAMBLE, ...RECORDS, FOOTER);
      const reader = await CaptureReader.open(path);
      const seen: number[] = [];
      await assert.rejects(
        (async () => {
          for await (const record of reader.records()) {
            seen.push(record.offset);
            if (seen.length === 2) change(path);
          }
        })(),
        (error: unknown) => {
          assert.ok(error instanceof HarperReplayError, what);
          assert.equal(error.exitCode, ExitCode.BAD_INPUT, what);
          assert.match(
            error.message,
            /changing\.hrcap changed while it was read \(\d+ B when opened, \d+ B now\)/,
          );
          return true;
        },
        what,
      );
      await reader.close();
      assert.ok(seen.length >= 2, what);
    }
    // A capture still being written (no footer yet) only grows: what was there at open is read, not complete.
    const live = file('live.hrcap', PREAMBLE, ...RECORDS.slice(0, 3));
    const reader = await CaptureReader.open(live);
    const offsets: number[] = [];
    for await (const record of reader.records()) {
      offsets.push(record.offset);
      if (offsets.length === 1) appendFileSync(live, Buffer.concat(RECORDS.slice(3)));
    }
    await reader.close();
    assert.deepEqual(offsets, OFFSETS.slice(0, 3));
    assert.deepEqual([reader.status.complete, reader.status.truncated], [false, false]);
    // Unchanged, it reads to the end as before (the check is not a false alarm).
    const still = await readAll(file('changing.hrcap', PREAMBLE, ...RECORDS, FOOTER));
    assert.equal(still.error, undefined);
    assert.equal(still.status?.complete, true);
  });

  it('a file of only a preamble has no records and is not truncated', async () => {
    const result = await readAll(file('empty.hrcap', PREAMBLE));
    assert.deepEqual(result.records, []);
    assert.deepEqual(result.status, {
      truncated: false,
      complete: false,
      truncatedAt: undefined,
      bytesRead: PREAMBLE.length,
      records: 0,
    });
  });

  it('damage throws a CaptureFormatError at the record’s offset, after yielding every record before it', async () => {
    const target = 2;
    const at = OFFSETS[target]!;
    const record = RECORDS[target]!;
    const flipped = (index: number) => {
      const out = Buffer.from(record);
      out[index]! ^= 0x01;
      return out;
    };
    const cases: Array<{ name: string; bytes: Buffer; message: RegExp; offset: number }> = [
      { name: 'head field damaged', bytes: flipped(3), message: /record head checksum mismatch/, offset: at },
      {
        name: 'head checksum damaged',
        bytes: flipped(RECORD_HEAD_FIELDS),
        message: /record head checksum mismatch/,
        offset: at,
      },
      {
        name: 'payload damaged',
        bytes: flipped(RECORD_HEAD_LENGTH),
        message: /record checksum mismatch/,
        offset: at,
      },
      {
        name: 'trailer damaged',
        bytes: flipped(record.length - 1),
        message: /record checksum mismatch/,
        offset: at,
      },
      {
        name: 'kind 0',
        bytes: withField(record, (h) => (h[0] = 0)),
        message: /unknown record kind 0/,
        offset: at,
      },
      {
        name: 'kind 5',
        bytes: withField(record, (h) => (h[0] = 5)),
        message: /unknown record kind 5/,
        offset: at,
      },
      {
        name: 'direction 2',
        bytes: withField(record, (h) => (h[1] = 2)),
        message: /unknown direction 2/,
        offset: at + 1,
      },
      {
        name: 'length past the default bound (1 GiB)',
        bytes: withField(record, (h) => h.writeUInt32BE(2 ** 30 + 1, 15)),
        message: /record length 1073741825 exceeds the bound of 1073741824/,
        offset: at + 15,
      },
    ];
    for (const c of cases) {
      const result = await readAll(
        file('damaged.hrcap', PREAMBLE, ...RECORDS.slice(0, target), c.bytes, ...RECORDS.slice(target + 1)),
      );
      const error = assertFormatError(result.error, c.name);
      assert.match(error.message, c.message, c.name);
      assert.equal(error.offset, c.offset, `${c.name}: ${error.message}`);
      assert.equal(result.records.length, target, `${c.name}: the records before it were yielded`);
      assert.equal(result.status?.truncated, false, c.name);
    }
  });

  it('maxRecordLength is inclusive: a payload of exactly the bound is read, one byte more is refused', async () => {
    const bound = 4096;
    const exact = encodeRecord({ payload: Buffer.alloc(bound, 1) });
    const over = encodeRecord({ payload: Buffer.alloc(bound + 1, 2) });
    const path = file('bound.hrcap', PREAMBLE, RECORDS[1]!, exact, over);
    const result = await readAll(path, { maxRecordLength: bound });
    const error = assertFormatError(result.error, 'over the bound');
    assert.match(error.message, new RegExp(`record length ${bound + 1} exceeds the bound of ${bound}`));
    assert.equal(error.offset, PREAMBLE.length + RECORDS[1]!.length + exact.length + 15);
    assert.equal(result.records.length, 2);
    assert.equal(result.records[1]!.payload.length, bound);
    // The same file with the default bound reads in full.
    const all = await readAll(path);
    assert.equal(all.error, undefined);
    assert.equal(all.records.length, 3);
    assert.equal(all.records[2]!.payload.length, bound + 1);
  });

  it('a damaged record is an error even when it is the last one (not mistaken for a torn tail)', async () => {
    const last = Buffer.from(RECORDS.at(-1)!);
    last[last.length - 1]! ^= 0x80;
    const result = await readAll(file('last.hrcap', PREAMBLE, ...RECORDS.slice(0, -1), last));
    const error = assertFormatError(result.error, 'last record damaged');
    assert.match(error.message, /record checksum mismatch/);
    assert.equal(error.offset, OFFSETS.at(-1));
    assert.equal(result.records.length, RECORDS.length - 1);
    assert.equal(recordSize(SPECS.at(-1)!.payload.length), last.length);
  });
});

describe('CaptureReader.records({ borrow }) (the replay index: chunked reads into one reused buffer)', () => {
  const outcome = (result: Awaited<ReturnType<typeof readAll>>) => ({
    records: result.records.map((r) => ({ ...r, payload: r.payload.toString('hex') })),
    status: result.status,
    error: result.error === undefined ? undefined : String(result.error),
    offset: (result.error as { offset?: number } | undefined)?.offset,
  });
  const damaged = (index: number) => {
    const out = Buffer.from(RECORDS[2]!);
    out[index]! ^= 0x01;
    return out;
  };
  const files: Array<[string, Buffer[]]> = [
    ['whole', [PREAMBLE, ...RECORDS, FOOTER]],
    ['no footer', [PREAMBLE, ...RECORDS]],
    ['torn in a head', [PREAMBLE, ...RECORDS.slice(0, 4), RECORDS[4]!.subarray(0, RECORD_HEAD_LENGTH - 1)]],
    [
      'torn in a payload',
      [PREAMBLE, ...RECORDS.slice(0, 4), RECORDS[4]!.subarray(0, RECORDS[4]!.length - 2)],
    ],
    ['head damaged', [PREAMBLE, ...RECORDS.slice(0, 2), damaged(3), ...RECORDS.slice(3)]],
    ['payload damaged', [PREAMBLE, ...RECORDS.slice(0, 2), damaged(RECORD_HEAD_LENGTH), ...RECORDS.slice(3)]],
    [
      'trailer damaged',
      [PREAMBLE, ...RECORDS.slice(0, 2), damaged(RECORDS[2]!.length - 1), ...RECORDS.slice(3)],
    ],
  ];

  for (const [name, parts] of files) {
    it(`${name}: the same records, status and error as the unborrowed read, whatever the chunk size`, async () => {
      const path = file(`borrow-${name.replaceAll(' ', '-')}.hrcap`, ...parts);
      const expected = outcome(await readAll(path));
      for (const chunkBytes of [1, 7, RECORD_HEAD_LENGTH, 64, 1000, undefined]) {
        assert.deepEqual(
          outcome(await readAll(path, { borrow: true, chunkBytes })),
          expected,
          `chunk ${chunkBytes}`,
        );
      }
    });
  }

  it('borrowed payloads share one buffer: a payload kept past its turn is overwritten', async () => {
    const reader = await CaptureReader.open(file('borrowed.hrcap', PREAMBLE, ...RECORDS));
    const kept: Buffer[] = [];
    try {
      for await (const record of reader.records({ borrow: true, chunkBytes: 16 })) kept.push(record.payload);
    } finally {
      await reader.close();
    }
    const buffers = new Set(kept.filter((p) => p.length).map((p) => p.buffer));
    assert.ok(buffers.size < kept.filter((p) => p.length).length, 'fewer buffers than payloads: reused');
  });
});

describe('CaptureReader: deferred payload checks (replay checks a data frame when it sends it)', () => {
  const target = 2;
  const damaged = () => {
    const bytes = Buffer.from(RECORDS[target]!);
    bytes[RECORD_HEAD_LENGTH]! ^= 0x01;
    return file('deferred.hrcap', PREAMBLE, ...RECORDS.slice(0, target), bytes, ...RECORDS.slice(target + 1));
  };

  it('a deferred record with a damaged payload is yielded; checkCurrent then throws at its offset', async () => {
    const reader = await CaptureReader.open(damaged());
    const seen: number[] = [];
    let error: unknown;
    try {
      for await (const record of reader.records({ borrow: true, deferCheck: () => true })) {
        seen.push(record.offset);
        if (record.offset === OFFSETS[target]) {
          try {
            reader.checkCurrent();
          } catch (caught) {
            error = caught;
          }
        } else reader.checkCurrent();
      }
    } finally {
      await reader.close();
    }
    assert.equal(seen.length, RECORDS.length, 'every record yielded, the damaged one too');
    const format = assertFormatError(error, 'deferred check');
    assert.match(format.message, /record checksum mismatch/);
    assert.equal(format.offset, OFFSETS[target]);
  });

  it('records not deferred are still checked as they are read; checkCapture checks every record', async () => {
    const path = damaged();
    const notDeferred = await readAll(path, {
      borrow: true,
      deferCheck: (_kind, _direction, payload) => payload.length === 0,
    });
    assert.equal(notDeferred.records.length, target);
    assertFormatError(notDeferred.error, 'not deferred');
    await assert.rejects(checkCapture(path), /record checksum mismatch \(at byte \d+\)/);
    await checkCapture(file('intact.hrcap', PREAMBLE, ...RECORDS, FOOTER));
  });
});
