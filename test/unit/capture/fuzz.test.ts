import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import {
  type CaptureRecord,
  Direction,
  MAGIC,
  MAX_HEADER_LENGTH,
  PREAMBLE_LENGTH,
  RECORD_HEAD_FIELDS,
  RECORD_HEAD_LENGTH,
  RecordKind,
} from '../../../src/capture/format.js';
import { CaptureWriter } from '../../../src/capture/writer.js';
import { randomBytes, randomInt, seeded } from '../support.js';
import {
  assertFormatError,
  makeHeader,
  type ReadResult,
  readAll,
  recordSize,
  tempDir,
  withTimeout,
} from './support.js';

const BOUND = 1024 * 1024;
const ITERATIONS = 1400;

const tmp = tempDir();
after(() => tmp.cleanup());

interface Base {
  bytes: Buffer;
  dataStart: number;
  headerLength: number;
  records: CaptureRecord[];
  ends: number[];
}

/** What a mutated file must read as, beyond the invariants every file has. */
interface Case {
  name: string;
  bytes: Buffer;
  /** Records 0..intact-1 of the base are untouched and must be yielded as they are (when reading gets there). */
  intact: number;
  check?: (result: ReadResult) => void;
}

const setU32 = (bytes: Buffer, offset: number, value: number): Buffer => {
  const out = Buffer.from(bytes);
  out.writeUInt32BE(value >>> 0, offset);
  return out;
};

/**
 * A record head changed field by field with its own checksum recomputed: what a buggy (not a damaged) writer
 * would produce, so the reader's field checks are what stops it.
 */
const withHead = (bytes: Buffer, start: number, change: (out: Buffer) => void): Buffer => {
  const out = Buffer.from(bytes);
  change(out);
  out.writeUInt32BE(crc32(out.subarray(start, start + RECORD_HEAD_FIELDS)), start + RECORD_HEAD_FIELDS);
  return out;
};

/** The file with its header JSON replaced by `json` (length and CRC consistent). */
function withHeaderJson(base: Base, json: Buffer): Buffer {
  const preamble = Buffer.alloc(PREAMBLE_LENGTH);
  MAGIC.copy(preamble);
  preamble.writeUInt16BE(1, MAGIC.length);
  preamble.writeUInt32BE(json.length, MAGIC.length + 2);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(json));
  return Buffer.concat([preamble, json, crc, base.bytes.subarray(base.dataStart)]);
}

function errorOf(result: ReadResult, what: string) {
  return assertFormatError(result.error, what);
}

function makeCase(base: Base, random: () => number, iteration: number): Case {
  const pick = <T>(items: readonly T[]): T => items[randomInt(random, 0, items.length - 1)]!;
  const recordIndex = randomInt(random, 0, base.records.length - 1);
  const record = base.records[recordIndex]!;
  const start = record.offset;
  const kinds = 15;
  switch (iteration % kinds) {
    case 0: {
      // Random bytes, sometimes behind the magic or a valid header so the reader gets further.
      const tail = randomBytes(random, randomInt(random, 0, 400));
      const prefix = pick([Buffer.alloc(0), MAGIC, base.bytes.subarray(0, base.dataStart)]);
      return { name: 'random bytes', bytes: Buffer.concat([prefix, tail]), intact: 0 };
    }
    case 1: {
      const cut = randomInt(random, 0, base.dataStart - 1);
      return {
        name: `header cut at ${cut}`,
        bytes: base.bytes.subarray(0, cut),
        intact: 0,
        check: (result) => {
          const error = errorOf(result, 'truncated header');
          assert.ok(error.offset <= Math.max(cut, PREAMBLE_LENGTH), error.message);
        },
      };
    }
    case 2: {
      const bytes = Buffer.from(base.bytes);
      const bit = randomInt(random, 0, MAGIC.length * 8 - 1);
      bytes[bit >> 3]! ^= 1 << (bit & 7);
      return {
        name: `magic bit ${bit}`,
        bytes,
        intact: 0,
        check: (result) => {
          const error = errorOf(result, 'wrong magic');
          assert.equal(error.offset, 0);
          assert.match(error.message, /wrong magic/);
        },
      };
    }
    case 3: {
      const version = pick([0, 2, 3, 0x100, 0xffff, randomInt(random, 2, 0xffff)]);
      const bytes = Buffer.from(base.bytes);
      bytes.writeUInt16BE(version, MAGIC.length);
      return {
        name: `version ${version}`,
        bytes,
        intact: 0,
        check: (result) => {
          const error = errorOf(result, 'wrong version');
          assert.equal(error.offset, MAGIC.length);
          assert.match(error.message, new RegExp(`version ${version}`));
        },
      };
    }
    case 4: {
      const length = pick([
        0xffffffff,
        2 ** 31,
        MAX_HEADER_LENGTH + 1,
        randomInt(random, MAX_HEADER_LENGTH + 1, 0xffffffff),
        randomInt(random, base.bytes.length, MAX_HEADER_LENGTH),
        randomInt(random, 0, base.headerLength - 1),
        randomInt(random, base.headerLength + 1, base.bytes.length - PREAMBLE_LENGTH - 4),
      ]);
      return {
        name: `header length ${length}`,
        bytes: setU32(base.bytes, MAGIC.length + 2, length),
        intact: 0,
        check: (result) => {
          const error = errorOf(result, `header length ${length}`);
          if (length > MAX_HEADER_LENGTH) {
            assert.equal(error.offset, MAGIC.length + 2);
            assert.match(error.message, /exceeds/);
          } else if (length > base.bytes.length) {
            assert.equal(error.offset, PREAMBLE_LENGTH);
          }
        },
      };
    }
    case 5: {
      // A single bit flipped in the header JSON or its CRC.
      const bytes = Buffer.from(base.bytes);
      const bit = randomInt(random, PREAMBLE_LENGTH * 8, base.dataStart * 8 - 1);
      bytes[bit >> 3]! ^= 1 << (bit & 7);
      return {
        name: `header bit ${bit}`,
        bytes,
        intact: 0,
        check: (result) => {
          const error = errorOf(result, 'header bit flip');
          assert.equal(error.offset, PREAMBLE_LENGTH + base.headerLength);
          assert.match(error.message, /checksum/);
        },
      };
    }
    case 6: {
      const json = pick(['', 'null', '[]', '"text"', '42', '{"tool":"other"}', '{"tool":', '\u00ff\u00fe']);
      return {
        name: `header json ${JSON.stringify(json)}`,
        bytes: withHeaderJson(base, Buffer.from(json, 'latin1')),
        intact: 0,
        check: (result) => {
          const error = errorOf(result, `header json ${json}`);
          assert.equal(error.offset, PREAMBLE_LENGTH);
        },
      };
    }
    case 7: {
      // Length fields past the bound: refused before anything of that size is allocated.
      const length = pick([
        0xffffffff,
        2 ** 31,
        BOUND + 1,
        2 ** 24,
        randomInt(random, BOUND + 1, 0xffffffff),
      ]);
      return {
        name: `record ${recordIndex} length ${length}`,
        bytes: withHead(base.bytes, start, (out) => out.writeUInt32BE(length >>> 0, start + 15)),
        intact: recordIndex,
        check: (result) => {
          const error = errorOf(result, `record length ${length}`);
          assert.equal(error.offset, start + 15);
          assert.match(error.message, new RegExp(`record length ${length} exceeds the bound of ${BOUND}`));
          assert.equal(result.records.length, recordIndex);
        },
      };
    }
    case 8: {
      // Wrong but in-bound lengths: a checksum mismatch, or (running past the end) a torn tail.
      const actual = record.payload.length;
      let length = pick([0, actual + 1, actual + 4, randomInt(random, 0, BOUND), BOUND]);
      if (length === actual) length++;
      return {
        name: `record ${recordIndex} length ${length} (was ${actual})`,
        bytes: withHead(base.bytes, start, (out) => out.writeUInt32BE(length >>> 0, start + 15)),
        intact: recordIndex,
        check: (result) => {
          assert.equal(result.records.length, recordIndex);
          if (result.error !== undefined) {
            const error = errorOf(result, 'wrong length');
            assert.equal(error.offset, start);
            assert.match(error.message, /checksum/);
          } else {
            assert.ok(start + recordSize(length) > base.bytes.length, 'only a record past the end is torn');
            assert.equal(result.status?.truncated, true);
            assert.equal(result.status?.truncatedAt, start);
          }
        },
      };
    }
    case 9:
    case 10: {
      // One bit flipped anywhere in a record: never yielded.
      const end = base.ends[recordIndex]!;
      const bit = randomInt(random, start * 8, end * 8 - 1);
      const bytes = Buffer.from(base.bytes);
      bytes[bit >> 3]! ^= 1 << (bit & 7);
      const byte = (bit >> 3) - start;
      return {
        name: `record ${recordIndex} bit ${bit} (byte ${byte} of the record)`,
        bytes,
        intact: recordIndex,
        check: (result) => {
          assert.equal(result.records.length, recordIndex, 'the corrupted record is not yielded');
          // The head has its own checksum: a damaged length is an error, never mistaken for a torn tail.
          const error = errorOf(result, `bit flip in byte ${byte} of the record`);
          assert.equal(error.offset, start, error.message);
          assert.match(error.message, byte < RECORD_HEAD_LENGTH ? /record head checksum/ : /record checksum/);
        },
      };
    }
    case 11: {
      const kind = pick([0, 5, 6, 0x7f, 0x80, 0xff, randomInt(random, 5, 255)]);
      const bytes = withHead(base.bytes, start, (out) => {
        out[start] = kind;
      });
      return {
        name: `record ${recordIndex} kind ${kind}`,
        bytes,
        intact: recordIndex,
        check: (result) => {
          const error = errorOf(result, `kind ${kind}`);
          assert.equal(error.offset, start);
          assert.match(error.message, new RegExp(`unknown record kind ${kind}`));
          assert.equal(result.records.length, recordIndex);
        },
      };
    }
    case 12: {
      const direction = pick([2, 3, 0x80, 0xff, randomInt(random, 2, 255)]);
      const bytes = withHead(base.bytes, start, (out) => {
        out[start + 1] = direction;
      });
      return {
        name: `record ${recordIndex} direction ${direction}`,
        bytes,
        intact: recordIndex,
        check: (result) => {
          const error = errorOf(result, `direction ${direction}`);
          assert.equal(error.offset, start + 1);
          assert.match(error.message, new RegExp(`unknown direction ${direction}`));
          assert.equal(result.records.length, recordIndex);
        },
      };
    }
    case 13:
      return {
        name: 'unmodified',
        bytes: base.bytes,
        intact: base.records.length,
        check: (result) => {
          assert.equal(result.error, undefined);
          assert.equal(result.records.length, base.records.length);
          assert.equal(result.status?.truncated, false);
        },
      };
    default: {
      const garbage = randomBytes(random, randomInt(random, 1, 200));
      if (random() < 0.3) garbage[0] = pick([1, 2, 3, 4]);
      return {
        name: `${garbage.length} B of garbage appended`,
        bytes: Buffer.concat([base.bytes, garbage]),
        intact: base.records.length,
        check: (result) => {
          assert.ok(result.records.length >= base.records.length, 'every original record is read');
          if (result.error !== undefined) {
            assert.ok(errorOf(result, 'garbage').offset >= base.bytes.length);
          } else {
            assert.equal(result.status?.truncated, true, 'garbage is never a clean end');
            assert.ok((result.status?.truncatedAt ?? 0) >= base.bytes.length);
          }
        },
      };
    }
  }
}

/** Invariants of every read, whatever the file. */
function checkInvariants(base: Base, c: Case, result: ReadResult): void {
  if (result.error !== undefined) assertFormatError(result.error, c.name);
  else {
    assert.ok(result.status, c.name);
    assert.ok(result.header, c.name);
    assert.equal(result.status.records, result.records.length, c.name);
  }
  let previousEnd = -1;
  for (const [i, record] of result.records.entries()) {
    assert.ok(record.kind >= 1 && record.kind <= 4, c.name);
    assert.ok(record.direction === 0 || record.direction === 1, c.name);
    assert.ok(record.payload.length <= BOUND, c.name);
    assert.ok(record.offset > previousEnd, c.name);
    previousEnd = record.offset;
    if (i < c.intact) {
      const original = base.records[i]!;
      assert.equal(record.offset, original.offset, `${c.name}: record ${i}`);
      assert.equal(record.kind, original.kind, `${c.name}: record ${i}`);
      assert.ok(record.payload.equals(original.payload), `${c.name}: record ${i}`);
    }
  }
  if (result.header !== undefined) {
    // Reading got past the header: every untouched record before the damage was yielded.
    assert.ok(result.records.length >= Math.min(c.intact, base.records.length), `${c.name}: salvage`);
  }
}

describe('capture reader fuzz', () => {
  let base: Base;

  before(async () => {
    const path = tmp.path('base.hrcap');
    const writer = await CaptureWriter.create(path, makeHeader());
    const random = seeded(0xf022);
    writer.event(RecordKind.OPEN, 1, { role: 'proxy', url: 'wss://host/' });
    writer.event(RecordKind.OPEN, 2, { role: 'proxy', url: 'wss://host/' });
    for (const size of [0, 1, 7, 33, 120, 2, 64, 0]) {
      const direction = random() < 0.5 ? Direction.FROM_SOURCE : Direction.TO_SOURCE;
      writer.message(direction, randomInt(random, 1, 2), randomBytes(random, size));
    }
    writer.event(RecordKind.CLOSE, 2, { code: 1000 });
    await writer.close({ endedAtMs: 5, structures: [], reason: 'fuzz' });
    const read = await readAll(path);
    assert.equal(read.error, undefined);
    const bytes = readFileSync(path);
    const dataStart = read.records[0]!.offset;
    base = {
      bytes,
      dataStart,
      headerLength: dataStart - PREAMBLE_LENGTH - 4,
      records: read.records,
      ends: read.records.map((r) => r.offset + recordSize(r.payload.length)),
    };
  });

  it(`${ITERATIONS} seeded mutations: a clean (maybe torn) end or a CaptureFormatError, no hang, bounded allocation`, async () => {
    const random = seeded(0x5eed_f022);
    const path = tmp.path('fuzz.hrcap');
    const originalAllocUnsafe = Buffer.allocUnsafe;
    let largestAllocation = 0;
    let tracking = false;
    Buffer.allocUnsafe = ((size: number) => {
      if (tracking && size > largestAllocation) largestAllocation = size;
      return originalAllocUnsafe(size);
    }) as typeof Buffer.allocUnsafe;
    const outcomes = new Map<string, number>();
    const rssBefore = process.memoryUsage().rss;
    try {
      for (let i = 0; i < ITERATIONS; i++) {
        const c = makeCase(base, random, i);
        writeFileSync(path, c.bytes);
        tracking = true;
        let result: ReadResult;
        try {
          result = await withTimeout(readAll(path, { maxRecordLength: BOUND }), 2000, c.name);
        } finally {
          tracking = false;
        }
        const context = `iteration ${i}: ${c.name}`;
        checkInvariants(base, { ...c, name: context }, result);
        try {
          c.check?.(result);
        } catch (error) {
          (error as Error).message = `${context}: ${(error as Error).message}`;
          throw error;
        }
        const outcome =
          result.error !== undefined
            ? (result.error as Error).message.replace(/[0-9]+/g, 'N')
            : result.status?.truncated
              ? 'torn tail'
              : 'complete';
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
    } finally {
      Buffer.allocUnsafe = originalAllocUnsafe;
    }
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    assert.ok(rssGrowth < 200 * 1024 * 1024, `rss grew by ${rssGrowth} B`);
    assert.ok(largestAllocation > 0, 'the allocation probe saw the reader');
    assert.ok(largestAllocation <= BOUND + 4, `largest allocation ${largestAllocation} B`);
    // The fuzzer reached every kind of outcome.
    const kinds = [...outcomes.keys()].join('\n');
    for (const expected of [
      /wrong magic/,
      /version/,
      /header length/,
      /past the end/,
      /header checksum/,
      /not JSON/,
      /not a harper-replay capture header/,
      /exceeds the bound/,
      /record checksum/,
      /record head checksum/,
      /unknown record kind/,
      /unknown direction/,
      /torn tail/,
      /complete/,
    ]) {
      assert.match(kinds, expected);
    }
  });

  it('huge length fields with the default bound allocate nothing of that size', async () => {
    const path = tmp.path('default-bound.hrcap');
    const record = base.records[3]!;
    for (const length of [2 ** 29, 2 ** 30, 0xffffffff]) {
      writeFileSync(
        path,
        withHead(base.bytes, record.offset, (out) => out.writeUInt32BE(length >>> 0, record.offset + 15)),
      );
      const originalAllocUnsafe = Buffer.allocUnsafe;
      let largest = 0;
      Buffer.allocUnsafe = ((size: number) => {
        largest = Math.max(largest, size);
        return originalAllocUnsafe(size);
      }) as typeof Buffer.allocUnsafe;
      let result: ReadResult;
      try {
        result = await withTimeout(readAll(path), 2000, `length ${length}`);
      } finally {
        Buffer.allocUnsafe = originalAllocUnsafe;
      }
      assert.equal(result.records.length, 3);
      // The file is about 1 KB: anything near the claimed length would be an allocation from the length field.
      assert.ok(largest < 1024 * 1024, `largest allocation ${largest} B for length ${length}`);
      if (result.error !== undefined) {
        const error = assertFormatError(result.error, `length ${length}`);
        assert.match(error.message, /exceeds the bound/);
      } else {
        assert.equal(result.status?.truncated, true);
        assert.equal(result.status?.truncatedAt, record.offset);
      }
    }
  });
});
